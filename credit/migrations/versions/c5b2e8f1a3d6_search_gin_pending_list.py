"""public search on PostgreSQL: a small GIN pending list, merged now

GIN puts new entries in a pending list that every search through the index reads whole, and
merges it into the index when it outgrows gin_pending_list_limit (4 MB by default, about 1,700
documents) or a vacuum comes. Searches that reached GIN paid up to 1.9 ms of the server's time
reading it. The limit becomes 64 kB, and what the list holds now is merged. SQLite: nothing to
do. docs/search.md, The GIN pending list.

Revision ID: c5b2e8f1a3d6
Revises: a8e1d5c3f7b9
Create Date: 2026-11-27 14:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5b2e8f1a3d6'
down_revision = 'a8e1d5c3f7b9'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("ALTER INDEX ix_enterprises_search_terms SET (gin_pending_list_limit = 64)")
    # As credit.services.search_index.merge_index: only the index's owner may merge.
    op.execute("SELECT gin_clean_pending_list(c.oid) FROM pg_class AS c "
               "WHERE c.oid = to_regclass('ix_enterprises_search_terms') "
               "AND pg_has_role(c.relowner, 'USAGE')")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_enterprises_search_terms RESET (gin_pending_list_limit)")
