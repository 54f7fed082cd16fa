"""certificate tokens on A listings; public reports (举报)

Revision ID: b7d3c1f0a942
Revises: 7c1e5a90d3b2
Create Date: 2026-11-26 09:00:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7d3c1f0a942'
down_revision = '7c1e5a90d3b2'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no table rebuild on SQLite: the partial unique index stays as it is).
    op.add_column('listings', sa.Column('certificate_token', sa.String(length=64), nullable=True))
    listings = sa.table('listings', sa.column('id', sa.Integer),
                        sa.column('kind', sa.String), sa.column('certificate_token', sa.String))
    conn = op.get_bind()
    for (listing_id,) in conn.execute(sa.select(listings.c.id).where(listings.c.kind == 'A')):
        conn.execute(listings.update().where(listings.c.id == listing_id)
                     .values(certificate_token=secrets.token_urlsafe(24)))
    op.create_index('uq_listings_certificate_token', 'listings', ['certificate_token'],
                    unique=True)

    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt', sa.String(length=24), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('enterprise_text', sa.String(length=200), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('district', sa.String(length=16), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=True),
    sa.Column('contact_name', sa.String(length=50), nullable=True),
    sa.Column('contact_phone', sa.String(length=30), nullable=True),
    sa.Column('contact_email', sa.String(length=120), nullable=True),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('handled_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('new', 'handled')", name=op.f('ck_reports_state')),
    sa.CheckConstraint("category IN ('quality', 'counterfeit', 'short_weight', 'standard', 'false_claim', 'after_sales', 'other')", name=op.f('ck_reports_category')),
    sa.CheckConstraint("district IS NULL OR district IN ('向阳区', '前进区', '东风区', '郊区', '桦南县', '桦川县', '汤原县', '同江市', '富锦市', '抚远市', '建三江管委会')", name=op.f('ck_reports_district')),
    sa.CheckConstraint("NOT (state IN ('handled')) OR (handled_at IS NOT NULL AND handled_by_id IS NOT NULL AND handled_note IS NOT NULL)", name=op.f('ck_reports_handled')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_reports_enterprise_id_enterprises'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_reports_handled_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('receipt', name=op.f('uq_reports_receipt'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index('ix_reports_district_state', ['district', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_enterprise_id'), ['enterprise_id'], unique=False)


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_enterprise_id'))
        batch_op.drop_index('ix_reports_district_state')
    op.drop_table('reports')
    op.drop_index('uq_listings_certificate_token', table_name='listings')
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_column('certificate_token')
