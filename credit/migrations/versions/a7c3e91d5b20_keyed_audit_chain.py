"""keyed audit chain: key ids on audit entries; grade changes covered by audit entries

Existing logs are sealed with the audit key here (credit.services.audit.reseal_unkeyed): an
intact unkeyed chain is sealed again in place and an ``audit.reseal`` entry records its old
head; a broken one is left as it was. Existing grade changes get one covering entry.

Revision ID: a7c3e91d5b20
Revises: b7d41e0c9a52
Create Date: 2026-11-27 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e91d5b20'
down_revision = 'b7d41e0c9a52'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))
    with op.batch_alter_table('grade_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_entry_id', sa.Integer(), nullable=True))

    # The key comes from the app's configuration (AUDIT_KEY or instance/audit_key), never the
    # database; env.py runs migrations inside the app context.
    from credit.services.audit import audit_key, reseal_unkeyed

    reseal_unkeyed(op.get_bind(), audit_key())

    with op.batch_alter_table('grade_changes', schema=None) as batch_op:
        batch_op.alter_column('audit_entry_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index('ix_grade_changes_audit_entry', ['audit_entry_id', 'id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_grade_changes_audit_entry_id_audit_entries'),
                                    'audit_entries', ['audit_entry_id'], ['id'])


def downgrade():
    # The entries keep their keyed hashes: the older code cannot verify them any more.
    with op.batch_alter_table('grade_changes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_grade_changes_audit_entry_id_audit_entries'),
                                 type_='foreignkey')
        batch_op.drop_index('ix_grade_changes_audit_entry')
        batch_op.drop_column('audit_entry_id')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_column('key_id')
