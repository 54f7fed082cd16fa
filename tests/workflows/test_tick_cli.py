"""`flask credit tick` and `flask credit audit verify`."""

from __future__ import annotations

from sqlalchemy import select, text

from credit.models import Listing
from credit.workflows.a_publication import (
    apply_for_publication,
    evaluate_application,
    publish_application,
)


def test_tick_expires_and_is_idempotent(db, world, cli):
    app = apply_for_publication(world.u["ent_a"])
    evaluate_application(world.u["evaluator"], app, approve=True, reasons="ok")
    publish_application(world.u["publisher"], app)
    db.session.commit()
    result = cli("tick", "--as-of", "2027-10-15")
    assert result.exit_code == 0, result.output
    assert "1 A and 0 D listings expired" in result.output
    again = cli("tick", "--as-of", "2027-10-15")
    assert "0 A and 0 D listings expired, 0 answer periods closed, 0 overdue" in again.output
    assert db.session.scalar(select(Listing.removal_reason)) == "expired"
    assert cli("tick", "--as-of", "tomorrow").exit_code != 0


def test_audit_verify_intact_then_broken(db, world, cli):
    result = cli("audit", "verify")
    assert result.exit_code == 0
    assert result.output.startswith("audit chain intact: ")
    n = int(result.output.split(": ")[1].split()[0])
    assert n >= 20
    victim = db.session.scalar(text("SELECT id FROM audit_entries ORDER BY id LIMIT 1 OFFSET 5"))
    db.session.execute(text("UPDATE audit_entries SET actor = 'mallory' WHERE id = :id"),
                       {"id": victim})
    db.session.commit()
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert f"audit chain broken at entry {victim}" in result.output
    assert "edited" in result.output
