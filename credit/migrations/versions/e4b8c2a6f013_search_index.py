"""public search at scale: full-text terms, their index, and ordered indexes for the tiers

SQLite: enterprises.search_terms (text) is the document of the external-content FTS5 table
enterprise_search, kept in step by triggers. PostgreSQL: enterprises.search_terms is a tsvector
with a GIN index. Both: B-tree indexes in byte order on the values the ranking tiers compare
(name, compact pinyin, initials, USCC), each also behind the district. docs/search.md.

Revision ID: e4b8c2a6f013
Revises: 9d3f5b1c7e20
Create Date: 2026-11-26 10:30:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

from credit.services.search_index import FTS_PREFIXES, FTS_TABLE, fill

# revision identifiers, used by Alembic.
revision = 'e4b8c2a6f013'
down_revision = '9d3f5b1c7e20'
branch_labels = None
depends_on = None

PINYIN_KEY = "replace(name_pinyin, ' ', '')"

# name -> indexed expressions, per dialect. PostgreSQL: COLLATE "C" (byte order, as Python and
# SQLite compare), and the id last so that ties come out in id order from the index itself.
_SQLITE_INDEXES = {
    'ix_enterprises_search_pinyin': [PINYIN_KEY],
    'ix_enterprises_search_district_pinyin': ['district', PINYIN_KEY],
    'ix_enterprises_search_initials': ['name_initials'],
    'ix_enterprises_search_district_initials': ['district', 'name_initials'],
    'ix_enterprises_search_district_uscc': ['district', 'uscc'],
}
_PG_INDEXES = {
    'ix_enterprises_search_name': ['name COLLATE "C"', 'id'],
    'ix_enterprises_search_district_name': ['district', 'name COLLATE "C"', 'id'],
    'ix_enterprises_search_pinyin': [f'({PINYIN_KEY}) COLLATE "C"', 'id'],
    'ix_enterprises_search_district_pinyin': ['district', f'({PINYIN_KEY}) COLLATE "C"', 'id'],
    'ix_enterprises_search_initials': ['name_initials COLLATE "C"', 'id'],
    'ix_enterprises_search_district_initials': ['district', 'name_initials COLLATE "C"', 'id'],
    'ix_enterprises_search_uscc': ['uscc COLLATE "C"'],
    'ix_enterprises_search_district_uscc': ['district', 'uscc COLLATE "C"'],
    # The last tier walks a district's ids in order when its matches are many.
    'ix_enterprises_search_district_id': ['district', 'id'],
}

_DELETE = (f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_terms) "
           "VALUES ('delete', old.id, old.search_terms);")
_INSERT = f"INSERT INTO {FTS_TABLE}(rowid, search_terms) VALUES (new.id, new.search_terms);"
_TRIGGERS = {
    'enterprises_search_insert': f"AFTER INSERT ON enterprises BEGIN {_INSERT} END",
    'enterprises_search_delete': f"AFTER DELETE ON enterprises BEGIN {_DELETE} END",
    'enterprises_search_update':
        f"AFTER UPDATE OF id, search_terms ON enterprises BEGIN {_DELETE} {_INSERT} END",
}


def upgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    # Plain ADD COLUMN (no batch mode: it would rebuild enterprises and drop its expression
    # indexes on SQLite). Nullable: the model and the importer always write it.
    op.add_column('enterprises', sa.Column(
        'search_terms', TSVECTOR() if postgresql else sa.Text(), nullable=True))
    if postgresql:
        # Fill first, index after: one pass over the table, the indexes built in one go. The
        # fill must not be a HOT update: an index built over HOT chains whose old versions some
        # transaction may still see is marked indcheckxmin, and no query uses it until every
        # transaction older than this one has ended. A passing index on the new column makes
        # every update of it a plain one.
        op.execute('CREATE INDEX ix_enterprises_search_fill ON enterprises '
                   '((search_terms IS NULL))')
        fill(bind)
        op.execute('DROP INDEX ix_enterprises_search_fill')
        op.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for name, columns in _PG_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON enterprises ({', '.join(columns)})")
        op.execute('CREATE INDEX ix_enterprises_search_terms ON enterprises '
                   'USING gin (search_terms)')
        op.execute('ANALYZE enterprises')
        return
    # SQLite: fill first, index after (one pass over the table, no index maintenance a row).
    fill(bind)
    op.execute(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(search_terms, "
               "content='enterprises', content_rowid='id', tokenize='ascii', "
               f"columnsize=0, prefix='{FTS_PREFIXES}')")
    op.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    for name, body in _TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    for name, columns in _SQLITE_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON enterprises ({', '.join(columns)})")


def downgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    for name in (_PG_INDEXES if postgresql else _SQLITE_INDEXES):
        op.execute(f"DROP INDEX IF EXISTS {name}")
    if postgresql:
        op.execute('DROP INDEX IF EXISTS ix_enterprises_search_terms')
    else:
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    op.drop_column('enterprises', 'search_terms')
