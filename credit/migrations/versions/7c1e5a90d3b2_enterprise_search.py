"""enterprise search: stored pinyin and initials of every name

Revision ID: 7c1e5a90d3b2
Revises: 4e86207468d1
Create Date: 2026-11-26 08:00:00

"""
import sqlalchemy as sa
from alembic import op

from credit.names import pinyin_columns

# revision identifiers, used by Alembic.
revision = '7c1e5a90d3b2'
down_revision = '4e86207468d1'
branch_labels = None
depends_on = None

_BATCH = 5000


def _fill_pinyin():
    """Read every existing name (the model writes the columns from now on)."""
    bind = op.get_bind()
    enterprises = sa.table('enterprises', sa.column('id', sa.Integer), sa.column('name', sa.Text),
                           sa.column('name_pinyin', sa.Text), sa.column('name_initials', sa.Text))
    update = (sa.update(enterprises).where(enterprises.c.id == sa.bindparam('_id'))
              .values(name_pinyin=sa.bindparam('name_pinyin'),
                      name_initials=sa.bindparam('name_initials')))
    last = 0
    while True:
        rows = bind.execute(sa.select(enterprises.c.id, enterprises.c.name)
                            .where(enterprises.c.id > last).order_by(enterprises.c.id)
                            .limit(_BATCH)).all()
        if not rows:
            break
        bind.execute(update, [{'_id': i, **pinyin_columns(name)} for i, name in rows])
        last = rows[-1][0]


def upgrade():
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_pinyin', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('name_initials', sa.Text(), nullable=True))
    _fill_pinyin()
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.alter_column('name_pinyin', existing_type=sa.Text(), nullable=False)
        batch_op.alter_column('name_initials', existing_type=sa.Text(), nullable=False)


def downgrade():
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_column('name_initials')
        batch_op.drop_column('name_pinyin')
