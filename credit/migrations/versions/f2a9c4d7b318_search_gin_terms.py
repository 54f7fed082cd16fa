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

from credit.services.search_index import fill

# revision identifiers, used by Alembic.
revision = 'f2a9c4d7b318'
down_revision = 'e4b8c2a6f013'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    # As the search migration did: rewrite every document without the GIN index (built again
    # in one go afterwards), and not as HOT updates (a passing index on the column), so that
    # the new index is usable at once (no indcheckxmin).
    op.execute('DROP INDEX IF EXISTS ix_enterprises_search_terms')
    op.execute('CREATE INDEX ix_enterprises_search_fill ON enterprises '
               '((search_terms IS NULL))')
    fill(bind)
    op.execute('DROP INDEX ix_enterprises_search_fill')
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute('CREATE INDEX ix_enterprises_search_terms ON enterprises '
               'USING gin (search_terms)')
    op.execute('ANALYZE enterprises')


def downgrade():
    pass
