"""Routine work keeps the audit chain whole: every transition that an import, a regrade or a
tick sets off has its entry, and `audit verify` passes afterwards.

The bulk paths write in batches and empty the session between them; an entry written by a
grade-change listener after the last flush used to be thrown away there while the session
still held its hash as the chain head (issue 7, item 1).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from credit.models import (
    APublicationApplication,
    AuditEntry,
    DCase,
    Enterprise,
    GradeTrigger,
    Listing,
)
from credit.services import audit
from credit.services.grading import regrade_all
from credit.services.importer import write_enterprises
from credit.workflows.a_publication import (
    apply_for_publication,
    evaluate_application,
    publish_application,
)
from credit.workflows.d_listing import answer_notice, confirm_case, decide_case, send_notice
from tests.workflows.conftest import (  # noqa: F401  (the workflow tests' small city)
    COUNTERFEIT,
    FAIL,
    _fast_password_hashes,
    firm,
    world,
)


def entries(db, action: str, object_id: int) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.object_id == str(object_id))).all()


def assert_intact(db) -> None:
    db.session.commit()
    assert list(audit.verify()) == []


def publish_a(db, w) -> int:
    """Firm a's A listing, published; the application's id (bulk paths empty the session)."""
    app = apply_for_publication(w.u["ent_a"])
    evaluate_application(w.u["evaluator"], app, approve=True, reasons="符合守信企业条件")
    publish_application(w.u["publisher"], app)
    db.session.commit()
    return app.id


def publish_d(db, w) -> int:
    """Firm d's D listing, published; its id."""
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == w.e["d"].id))
    confirm_case(w.u["reviewer_city"], case)
    send_notice(w.u["publisher"], case)
    answer_notice(w.u["ent_d"], case, "我公司已整改")
    decide_case(w.u["publisher"], case, publish=True, reasons=["D2"])
    db.session.commit()
    return db.session.scalar(select(Listing.id).where(Listing.enterprise_id == w.e["d"].id))


def a_firm_falls(w, key: str = "a") -> dict:
    """An A firm as the archive now has it, plus a failed spot check: its grade falls to C."""
    record = {**FAIL, "ref": "F-1", "date": "2026-09-01"}
    return {"uscc": w.e[key].uscc, "name": w.e[key].name, "district": w.e[key].district,
            "established_on": "2012-05-20", "records": [record]}


def d_firm_cleared(w) -> dict:
    """Firm d with its counterfeit violation corrected to a quality one: no longer D."""
    record = {**COUNTERFEIT, "ref": "V-6", "category": "quality"}
    return {"uscc": w.e["d"].uscc, "name": w.e["d"].name, "district": w.e["d"].district,
            "established_on": "2012-05-20", "records": [record]}


def assert_a_ended_with_entries(db, app_id: int) -> None:
    db.session.expire_all()
    app = db.session.get(APublicationApplication, app_id)
    listing = db.session.scalar(select(Listing).where(Listing.application_id == app.id))
    assert (app.state, listing.removal_reason) == ("withdrawn", "grade_fell")
    assert [e.after["reason"] for e in entries(db, "a_application.withdraw", app.id)] == [
        "grade_fell"]
    assert len(entries(db, "listing.remove", listing.id)) == 1


def new_d_case_with_entry(db, uscc: str) -> DCase:
    case = db.session.scalar(select(DCase).join(Enterprise).where(Enterprise.uscc == uscc))
    assert case is not None and case.state == "proposed"
    assert len(entries(db, "d_case.propose", case.id)) == 1
    return case


@pytest.mark.parametrize("with_d", [False, True], ids=["a-only", "with-d-transitions"])
@pytest.mark.parametrize("batch_size", [1000, 2], ids=["one-batch", "many-batches"])
def test_import_that_ends_an_a_listing_keeps_the_chain(db, world, app, with_d,  # noqa: F811
                                                       batch_size, monkeypatch):
    monkeypatch.setitem(app.config, "BATCH_SIZE", batch_size)
    a_app = publish_a(db, world)
    pending = apply_for_publication(world.u["ent_a_h"]).id  # evaluating: no listing yet
    db.session.commit()
    d_listing_id = publish_d(db, world) if with_d else None
    batch = [a_firm_falls(world), a_firm_falls(world, "a_h")]
    open_case = db.session.scalar(select(DCase.id).where(DCase.enterprise_id == world.e["d_h"].id))
    if with_d:
        more = firm(7, "桦南县", {**COUNTERFEIT, "ref": "V-7"}, {**COUNTERFEIT, "ref": "V-7b"})
        batch += [firm(21, "郊区", {**COUNTERFEIT, "ref": "V-21"}), d_firm_cleared(world), more]
    write_enterprises(batch, today=world.day, source="test")
    assert_intact(db)
    assert_a_ended_with_entries(db, a_app)
    assert db.session.get(APublicationApplication, pending).state == "withdrawn"
    assert len(entries(db, "a_application.withdraw", pending)) == 1
    if with_d:
        new_d_case_with_entry(db, batch[2]["uscc"])
        taken = entries(db, "d_case.take_in", open_case)  # the open case takes in V-7b
        assert [[f["ref"] for f in e.after["added"]] for e in taken] == [["V-7b"]]
        listing = db.session.get(Listing, d_listing_id)
        assert listing.removal_prompted
        assert len(entries(db, "listing.prompt_removal", listing.id)) == 1


@pytest.mark.parametrize("with_d", [False, True], ids=["a-only", "with-d-transitions"])
def test_regrade_that_ends_an_a_listing_keeps_the_chain(db, world, app, with_d,  # noqa: F811
                                                        monkeypatch):
    monkeypatch.setitem(app.config, "BATCH_SIZE", 2)
    a_app = publish_a(db, world)
    d_listing_id = publish_d(db, world) if with_d else None
    # Facts that reached the archive without a regrade (as a direct database load would).
    db.session.execute(text(
        "INSERT INTO records (enterprise_id, type, ref, date, subject, result, source) "
        "VALUES (:e, 'spot_check', 'F-1', :d, 'product', 'fail', 'test')"),
        {"e": world.e["a"].id, "d": dt.date(2026, 9, 1)})
    if with_d:
        db.session.execute(text("UPDATE records SET category = 'quality' WHERE ref = 'V-6'"))
        db.session.execute(text(
            "INSERT INTO records (enterprise_id, type, ref, date, category, severity, source) "
            "VALUES (:e, 'violation', 'V-4', :d, 'counterfeit', 'general', 'test')"),
            {"e": world.e["b"].id, "d": dt.date(2026, 9, 1)})
    db.session.commit()
    b_uscc = world.e["b"].uscc
    regrade_all(as_of=world.day, cause=GradeTrigger.MANUAL_REGRADE)
    assert_intact(db)
    assert_a_ended_with_entries(db, a_app)
    if with_d:
        new_d_case_with_entry(db, b_uscc)
        listing = db.session.get(Listing, d_listing_id)
        assert listing.removal_prompted
        assert len(entries(db, "listing.prompt_removal", listing.id)) == 1


def test_cli_import_regrade_and_tick_keep_the_chain(db, world, cli, write_json):  # noqa: F811
    a_app = publish_a(db, world)
    d_listing_id = publish_d(db, world)
    fall = {"format": "jms-quality-archive/1", "enterprises": [a_firm_falls(world)]}
    doc = {"format": "jms-quality-archive/1",
           "enterprises": [firm(21, "郊区", {**COUNTERFEIT, "ref": "V-21"}),
                           d_firm_cleared(world)]}
    result = cli("import", str(write_json(fall, "fall.json")))
    assert result.exit_code == 0, result.output
    verified = cli("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert_a_ended_with_entries(db, a_app)

    result = cli("import", str(write_json(doc)))
    assert result.exit_code == 0, result.output
    verified = cli("audit", "verify")
    assert verified.exit_code == 0, verified.output
    new_d_case_with_entry(db, doc["enterprises"][0]["uscc"])
    assert len(entries(db, "listing.prompt_removal", d_listing_id)) == 1

    # Firm d becomes D again through a regrade: the prompt is withdrawn, and logged.
    db.session.execute(text("UPDATE records SET category = 'counterfeit' WHERE ref = 'V-6'"))
    db.session.commit()
    result = cli("regrade", "--as-of", world.day.isoformat())
    assert result.exit_code == 0, result.output
    verified = cli("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert len(entries(db, "listing.unprompt_removal", d_listing_id)) == 1

    # Three years on: tick expires the D listing; the chain is still whole.
    result = cli("tick", "--as-of", "2029-12-31")
    assert result.exit_code == 0, result.output
    verified = cli("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert db.session.get(Listing, d_listing_id).removal_reason == "expired"
    assert len(entries(db, "listing.remove", d_listing_id)) == 1
