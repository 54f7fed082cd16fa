"""domain review fixes: case facts, one D listing per case, repair ends with its listing,
feed positions, enterprise provenance, grade cause enterprise_added

Revision ID: b7d41e0c9a52
Revises: 9c3e5a7d1f20
Create Date: 2026-11-26 08:00:00

"""
import datetime as dt
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d41e0c9a52'
down_revision = '9c3e5a7d1f20'
branch_labels = None
depends_on = None

CAUSES_BEFORE = ('record_added', 'record_changed', 'record_removed', 'enterprise_changed',
                 'import', 'time_passed', 'year_rollover', 'manual_regrade')
CAUSES_AFTER = ('record_added', 'record_changed', 'record_removed', 'enterprise_added',
                'enterprise_changed', 'import', 'time_passed', 'year_rollover', 'manual_regrade')
REPAIR_BEFORE = ('applied', 'accepted', 'refused', 'approved', 'rejected')
REPAIR_AFTER = (*REPAIR_BEFORE, 'ended')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _sqlite():
    return op.get_bind().dialect.name == 'sqlite'


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _backfill_case_facts():
    """Facts of existing cases, from their reasons and records (type, ref)."""
    conn = op.get_bind()
    cases = conn.execute(sa.text(
        "SELECT d_cases.id, d_cases.reasons, d_cases.record_ids, enterprises.qualification "
        "FROM d_cases JOIN enterprises ON enterprises.id = d_cases.enterprise_id")).all()
    for case_id, reasons, record_ids, qualification in cases:
        reasons, record_ids = _json(reasons) or [], _json(record_ids) or []
        records = conn.execute(
            sa.text("SELECT id, type, ref FROM records WHERE id IN :ids")
            .bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": record_ids or [-1]}).all()
        facts = []
        for reason in reasons:
            for ref in reason.get("refs", ()):
                facts += [{"code": reason["code"], "type": rtype, "ref": rref, "record_id": rid}
                          for rid, rtype, rref in records if rref == ref]
            if reason["code"] == "D1" and qualification == "invalid":
                facts.append({"code": "D1", "qualification": "invalid"})
        conn.execute(sa.text("UPDATE d_cases SET facts = :facts WHERE id = :id"),
                     {"facts": json.dumps(facts, ensure_ascii=False), "id": case_id})


def _backfill_feed_positions():
    conn = op.get_bind()
    last = None
    for change_id, at in conn.execute(
            sa.text("SELECT id, at FROM listing_changes ORDER BY at, id")).all():
        at = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(at)
        position = at if last is None or at > last else last + dt.timedelta(microseconds=1)
        conn.execute(sa.text("UPDATE listing_changes SET feed_at = :p WHERE id = :id"),
                     {"p": position, "id": change_id})
        last = position


def upgrade():
    # Enterprises: who registered them (provenance, for the four-eyes check). A plain ADD
    # COLUMN on both databases: the table can be large and must not be copied.
    if _sqlite():
        op.execute("ALTER TABLE enterprises ADD COLUMN recorded_by_id INTEGER "
                   "CONSTRAINT fk_enterprises_recorded_by_id_users REFERENCES users (id) "
                   "ON DELETE SET NULL")
    else:
        op.add_column('enterprises', sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_enterprises_recorded_by_id_users'), 'enterprises',
                              'users', ['recorded_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('grade_changes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_grade_changes_cause'), type_='check')
        batch_op.create_check_constraint(op.f('ck_grade_changes_cause'),
                                         sa.text(_in('cause', CAUSES_AFTER)))

    with op.batch_alter_table('d_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facts', sa.JSON(), nullable=True))
    _backfill_case_facts()
    with op.batch_alter_table('d_cases', schema=None) as batch_op:
        batch_op.alter_column('facts', existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_index('uq_listings_live', sqlite_where=sa.text('removed_on IS NULL'),
                            postgresql_where=sa.text('removed_on IS NULL'))
        batch_op.create_index('uq_listings_live_a', ['enterprise_id'], unique=True,
                              sqlite_where=sa.text("removed_on IS NULL AND kind = 'A'"),
                              postgresql_where=sa.text("removed_on IS NULL AND kind = 'A'"))
        batch_op.create_index('uq_listings_case', ['case_id'], unique=True)
        batch_op.create_index('uq_listings_application', ['application_id'], unique=True)
        batch_op.create_index('ix_listings_enterprise', ['enterprise_id'], unique=False)

    with op.batch_alter_table('repair_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ended_reason', sa.String(length=20), nullable=True))
        batch_op.drop_constraint(op.f('ck_repair_applications_state'), type_='check')
        batch_op.create_check_constraint(op.f('ck_repair_applications_state'),
                                         sa.text(_in('state', REPAIR_AFTER)))
        batch_op.create_check_constraint(
            op.f('ck_repair_applications_ended'),
            sa.text("NOT (state IN ('ended')) OR "
                    "(ended_on IS NOT NULL AND ended_reason IS NOT NULL)"))

    with op.batch_alter_table('listing_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_at', sa.DateTime(), nullable=True))
    _backfill_feed_positions()
    with op.batch_alter_table('listing_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_changes_feed_at'), ['feed_at'],
                              unique=True)
        batch_op.create_check_constraint(op.f('ck_listing_changes_feed_after_effect'),
                                         sa.text('feed_at >= at'))


def downgrade():
    with op.batch_alter_table('listing_changes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_listing_changes_feed_after_effect'), type_='check')
        batch_op.drop_index(batch_op.f('ix_listing_changes_feed_at'))
        batch_op.drop_column('feed_at')

    op.execute("UPDATE repair_applications SET state = 'refused', "
               "decision_reasons = COALESCE(decision_reasons, 'listing ' || ended_reason), "
               "handled_on = COALESCE(handled_on, ended_on) WHERE state = 'ended'")
    with op.batch_alter_table('repair_applications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_repair_applications_ended'), type_='check')
        batch_op.drop_constraint(op.f('ck_repair_applications_state'), type_='check')
        batch_op.create_check_constraint(op.f('ck_repair_applications_state'),
                                         sa.text(_in('state', REPAIR_BEFORE)))
        batch_op.drop_column('ended_reason')
        batch_op.drop_column('ended_on')

    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_index('ix_listings_enterprise')
        batch_op.drop_index('uq_listings_application')
        batch_op.drop_index('uq_listings_case')
        batch_op.drop_index('uq_listings_live_a',
                            sqlite_where=sa.text("removed_on IS NULL AND kind = 'A'"),
                            postgresql_where=sa.text("removed_on IS NULL AND kind = 'A'"))
        batch_op.create_index('uq_listings_live', ['enterprise_id', 'kind'], unique=True,
                              sqlite_where=sa.text('removed_on IS NULL'),
                              postgresql_where=sa.text('removed_on IS NULL'))

    with op.batch_alter_table('d_cases', schema=None) as batch_op:
        batch_op.drop_column('facts')

    op.execute("UPDATE grade_changes SET cause = 'enterprise_changed' "
               "WHERE cause = 'enterprise_added'")
    with op.batch_alter_table('grade_changes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_grade_changes_cause'), type_='check')
        batch_op.create_check_constraint(op.f('ck_grade_changes_cause'),
                                         sa.text(_in('cause', CAUSES_BEFORE)))

    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        if not _sqlite():
            batch_op.drop_constraint(op.f('fk_enterprises_recorded_by_id_users'),
                                     type_='foreignkey')
        batch_op.drop_column('recorded_by_id')
