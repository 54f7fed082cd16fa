"""D facts reach review: a batch of grade changes proposes one case per new D, a proposed case
takes in new facts, a later stage or a closed case leads to a new case for facts it did not
cover, and nothing is proposed twice for the same facts."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from credit.models import AuditEntry, DCase, DCaseState, Enterprise, Listing, Record
from credit.services import disclosure
from credit.services.archive import add_record
from credit.services.importer import write_enterprises
from credit.workflows.d_listing import (
    answer_notice,
    confirm_case,
    decide_case,
    dismiss_case,
    propose_cases,
    send_notice,
)
from tests.workflows.conftest import COUNTERFEIT, DAY, FAIL, firm


def test_one_case_per_new_d_with_its_own_records(db, world):
    batch = [
        firm(11, "郊区", {**COUNTERFEIT, "ref": "V-11"}, {**FAIL, "ref": "F-11"}),
        firm(12, "郊区", {**COUNTERFEIT, "ref": "V-12"}, {**FAIL, "ref": "V-11"}),
        firm(13, "郊区", {**FAIL, "ref": "F-13"}),  # C: no case
    ]
    write_enterprises([dict(f) for f in batch], today=DAY, source="test")
    cases = {
        uscc: case for case, uscc in db.session.execute(
            select(DCase, Enterprise.uscc).join(Enterprise)
            .where(Enterprise.uscc.in_([f["uscc"] for f in batch])))
    }
    assert set(cases) == {batch[0]["uscc"], batch[1]["uscc"]}
    for f in batch[:2]:
        case = cases[f["uscc"]]
        refs = db.session.scalars(select(Record.ref).where(Record.id.in_(case.record_ids))).all()
        # only the records behind D2, and only this enterprise's (the same ref elsewhere is not)
        assert refs == [f["records"][0]["ref"]]
        assert [r["code"] for r in case.reasons] == ["D2"]
    write_enterprises([dict(f) for f in batch], today=DAY, source="test")  # again: no new case
    assert db.session.query(DCase).count() == len(cases) + 2  # the world's own two D firms


# -- new facts reach review, each once ---------------------------------------------------------

ACCIDENT = {"type": "accident", "ref": "A-1", "date": "2026-09-01", "severity": "major"}
SERIOUS = {"type": "violation", "ref": "V-2", "date": "2026-08-01", "category": "quality",
           "severity": "serious"}


def cases_of(db, enterprise):
    return db.session.scalars(select(DCase).where(DCase.enterprise_id == enterprise.id)
                              .order_by(DCase.id)).all()


def keys(case):
    return [(f["code"], f.get("type"), f.get("ref")) for f in case.facts]


def test_a_proposed_case_takes_in_new_facts(db, world):
    firm = world.e["d"]
    case = cases_of(db, firm)[0]
    version = case.version
    add_record(world.u["recorder"], firm, dict(ACCIDENT))
    assert cases_of(db, firm) == [case]
    assert keys(case) == [("D2", "violation", "V-6"), ("D9", "accident", "A-1")]
    assert [r["code"] for r in case.reasons] == ["D2", "D9"] and len(case.record_ids) == 2
    assert case.version > version  # a review of what was shown before is refused
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "d_case.take_in"))
    assert entry.object_id == str(case.id)
    assert [f["ref"] for f in entry.after["added"]] == ["A-1"]
    assert [f["ref"] for f in entry.before["facts"]] == ["V-6"]


@pytest.mark.parametrize("stage", ["confirmed", "dismissed", "not_published", "published"])
def test_a_later_stage_or_closed_case_leads_to_a_new_case_for_new_facts(db, world, stage):
    firm, publisher = world.e["d"], world.u["publisher"]
    first = cases_of(db, firm)[0]
    if stage == "dismissed":
        dismiss_case(world.u["reviewer_city"], first, note="事实不清")
    else:
        confirm_case(world.u["reviewer_city"], first)
    if stage in ("not_published", "published"):
        send_notice(publisher, first)
        answer_notice(world.u["ent_d"], first, "申辩")
        decide_case(publisher, first, publish=stage == "published", reasons=["D2"],
                    note="情节较轻" if stage == "not_published" else None)
    before = first.state
    add_record(world.u["recorder"], firm, dict(ACCIDENT))
    cases = cases_of(db, firm)
    assert len(cases) == 2 and cases[0].state == before
    assert (cases[1].state, keys(cases[1])) == (DCaseState.PROPOSED,
                                                [("D9", "accident", "A-1")])
    add_record(world.u["recorder"], firm, dict(SERIOUS))  # the new case is open: it grows
    assert len(cases_of(db, firm)) == 2
    assert keys(cases[1]) == [("D9", "accident", "A-1"), ("D7", "violation", "V-2")]
    assert [r["code"] for r in cases[1].reasons] == ["D7", "D9"]


def test_the_same_facts_are_never_proposed_twice(db, world):
    from credit.services.archive import remove_record

    firm_ = world.e["d"]
    dismiss_case(world.u["reviewer_city"], cases_of(db, firm_)[0], note="不构成")
    second = add_record(world.u["recorder"], firm_, {**COUNTERFEIT, "ref": "V-7"})
    assert [keys(c) for c in cases_of(db, firm_)] == [[("D2", "violation", "V-6")],
                                                      [("D2", "violation", "V-7")]]
    remove_record(world.u["recorder"], second, reason="录入错误")  # D with other reasons
    add_record(world.u["recorder"], firm_, {**COUNTERFEIT, "ref": "V-7"})  # and back
    assert len(cases_of(db, firm_)) == 2
    # the listener called again with the same changes proposes nothing either
    row = {"enterprise_id": firm_.id, "changed_on": DAY, "old_grade": "D", "new_grade": "D",
           "rulebook": "JMS-2020-42/1"}
    assert propose_cases([row, row]) == []
    write_enterprises([firm(6, "向阳区", {**COUNTERFEIT, "ref": "V-6"})], today=DAY,
                      source="test")
    assert db.session.scalar(select(func.count()).select_from(DCase).where(
        DCase.enterprise_id == world.e["d"].id)) == 2


def test_time_can_bring_a_new_fact(db, world, cli):
    """A permit under rectification whose deadline passes is D3: a new fact, by time alone."""
    firm_ = world.e["d"]
    dismiss_case(world.u["reviewer_city"], cases_of(db, firm_)[0], note="不构成")
    add_record(world.u["recorder"], firm_, {"type": "permit", "ref": "P-1",
                                            "date": "2026-05-01", "status": "rectifying",
                                            "deadline": "2026-10-31"})
    db.session.commit()
    assert len(cases_of(db, firm_)) == 1
    assert cli("regrade", "--as-of", "2026-11-01").exit_code == 0
    cases = cases_of(db, db.session.get(Enterprise, world.e["d"].id))
    assert [keys(c) for c in cases] == [[("D2", "violation", "V-6")],
                                        [("D3", "permit", "P-1")]]
    assert cases[1].proposed_on.isoformat() == "2026-11-01"


def test_records_are_matched_by_type_and_ref(db, world):
    """A ref is unique only within its type: a passed spot check that shares the counterfeit
    violation's ref is not one of the case's records."""
    doc = firm(31, "郊区", {**COUNTERFEIT, "ref": "X-1"},
               {"type": "spot_check", "ref": "X-1", "date": "2026-02-01", "subject": "product",
                "result": "pass"})
    write_enterprises([doc], today=DAY, source="test")
    case = db.session.scalar(select(DCase).join(Enterprise).where(Enterprise.uscc == doc["uscc"]))
    rows = db.session.execute(select(Record.type, Record.ref)
                              .where(Record.id.in_(case.record_ids))).all()
    assert rows == [("violation", "X-1")]
    assert keys(case) == [("D2", "violation", "X-1")]


def test_proposals_take_a_few_queries_per_batch(db, world):
    """The listener runs once per batch of history rows: its queries do not grow with it."""
    docs = [firm(200 + n, "郊区", {**COUNTERFEIT, "ref": f"V-{n}"}) for n in range(60)]
    write_enterprises(docs, today=DAY, source="test")
    ids = db.session.scalars(select(Enterprise.id).where(
        Enterprise.uscc.in_([d["uscc"] for d in docs]))).all()
    db.session.execute(DCase.__table__.delete().where(DCase.enterprise_id.in_(ids)))
    rows = [{"enterprise_id": eid, "changed_on": DAY, "old_grade": "D", "new_grade": "D",
             "rulebook": "JMS-2020-42/1"} for eid in ids]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        created = propose_cases(rows)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(created) == 60
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 6, reads
    assert len(statements) <= 12 + 60  # the reads, the inserts, one audit entry per case


def test_a_second_published_case_is_a_second_live_listing(db, world):
    """Each published case is its own listing, with its own facts and its own 3 years; an
    enterprise may have more than one live D listing (one live A listing at most)."""
    firm_, publisher, reviewer = world.e["d"], world.u["publisher"], world.u["reviewer_city"]

    def publish(case, reasons):
        confirm_case(reviewer, case)
        send_notice(publisher, case)
        answer_notice(world.u["ent_d"], case, "申辩")
        return decide_case(publisher, case, publish=True, reasons=reasons)

    first = publish(cases_of(db, firm_)[0], ["D2"])
    world.pin("2027-01-20")
    add_record(world.u["recorder"], firm_, {**ACCIDENT, "date": "2027-01-10"})
    second = publish(cases_of(db, firm_)[1], ["D9"])
    db.session.commit()
    live = db.session.scalars(select(Listing).where(Listing.enterprise_id == firm_.id,
                                                    Listing.removed_on.is_(None))
                              .order_by(Listing.id)).all()
    assert live == [first, second]
    public = disclosure.listing_for(firm_.uscc)
    assert [(p.reasons, p.published_on.isoformat(), p.expires_on.isoformat()) for p in public] \
        == [(("D2",), "2026-10-15", "2029-10-15"), (("D9",), "2027-01-20", "2030-01-20")]
    assert disclosure.count_published(kind="D") == 2
    assert db.session.scalar(select(func.count()).select_from(Listing)) == 2
    # lists show the enterprise once, with both listings
    listed = disclosure.listed_enterprises("D")
    assert [(e.uscc, len(e.listings)) for e in listed] == [(firm_.uscc, 2)]
