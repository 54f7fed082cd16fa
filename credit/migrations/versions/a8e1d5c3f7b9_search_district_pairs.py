"""public search on PostgreSQL: the pinyin pairs again behind the district

The PostgreSQL document (enterprises.search_terms, a tsvector) gains each pinyin pair once more
behind the enterprise's district (``pd桦南县·mu·si``). A search in one district asks GIN for
these: a pair read as a prefix that is common elsewhere (``mu·s`` of 佳木斯, in more than half
of all names) is then gathered from that district's names alone, where before GIN gathered it
from every name and only then narrowed to the district. Only the stored documents change;
SQLite's documents hold no pairs, so nothing happens there. docs/search.md.

Downgrade leaves the documents as they are: the earlier queries never ask for these terms.

Revision ID: a8e1d5c3f7b9
Revises: f2a9c4d7b318
Create Date: 2026-11-27 11:40:00

"""
from alembic import op

from credit.services.search_index import rewrite_postgresql_documents

# revision identifiers, used by Alembic.
revision = 'a8e1d5c3f7b9'
down_revision = 'f2a9c4d7b318'
branch_labels = None
depends_on = None


def upgrade():
    rewrite_postgresql_documents(op.get_bind())  # SQLite: nothing to do


def downgrade():
    pass
