"""public search on PostgreSQL: adjacent pinyin syllables and initials as one term

The PostgreSQL document (enterprises.search_terms, a tsvector) gains a term for each two
adjacent pinyin units of a reading (``pqxian·fu``) and each three adjacent initials (``tjms``):
a query of common syllables or initials then reads short posting lists instead of a phrase over
long ones. Only the stored documents change; SQLite's documents do not hold these terms, so
nothing happens there. docs/search.md.

Downgrade leaves the documents as they are: the earlier queries never ask for these terms.

Revision ID: f2a9c4d7b318
Revises: e4b8c2a6f013
Create Date: 2026-11-26 14:00:00

"""
from alembic import op

from credit.services.search_index import rewrite_postgresql_documents

# revision identifiers, used by Alembic.
revision = 'f2a9c4d7b318'
down_revision = 'e4b8c2a6f013'
branch_labels = None
depends_on = None


def upgrade():
    rewrite_postgresql_documents(op.get_bind())  # SQLite: nothing to do


def downgrade():
    pass
