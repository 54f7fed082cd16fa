"""The public read model holds exactly the published, unexpired listings, and nothing else."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from credit.models import DCase
from credit.services import disclosure
from credit.workflows.a_publication import (
    apply_for_publication,
    evaluate_application,
    publish_application,
    withdraw_consent,
)
from credit.workflows.d_listing import answer_notice, confirm_case, decide_case, send_notice


def publish_a(w, key="a"):
    app = apply_for_publication(w.u[f"ent_{key}"])
    evaluate_application(w.u["evaluator"], app, approve=True, reasons="ok")
    publish_application(w.u["admin"], app)
    return app


def publish_d(db, w, summary=None):
    """Review, notify, answer and publish firm d's D case, disclosing rule D2 and its records."""
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == w.e["d"].id))
    confirm_case(w.u["reviewer_city"], case)
    send_notice(w.u["publisher"], case)
    answer_notice(w.u["ent_d"], case, "申辩")
    decide_case(w.u["publisher"], case, publish=True, reasons=["D2"],
                record_ids=case.record_ids, summary=summary)


def test_unlisted_enterprises_are_indistinguishable(db, world):
    # a: A but not published (an application in evaluation), b: B, c: C, d: D with a case.
    app = apply_for_publication(world.u["ent_a"])
    evaluate_application(world.u["evaluator"], app, approve=True, reasons="ok")
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == world.e["d"].id))
    confirm_case(world.u["reviewer_city"], case)
    send_notice(world.u["publisher"], case)
    db.session.commit()
    for key in ("a", "b", "c", "d", "a_h"):
        assert disclosure.listing_for(world.e[key].uscc) == ()
        name = world.e[key].name
        assert disclosure.published_listings(query=name) == []
        assert disclosure.count_published(query=name) == 0
    assert disclosure.published_listings() == []
    assert disclosure.changes_since(None) == []


def test_only_live_listings_with_only_public_fields(db, world):
    publish_a(world)
    publish_d(db, world)
    db.session.commit()
    rows = disclosure.published_listings()
    assert {(r.uscc, r.kind) for r in rows} == {(world.e["a"].uscc, "A"),
                                                (world.e["d"].uscc, "D")}
    fields = {f.name for f in dataclasses.fields(disclosure.PublicListing)}
    assert fields == {"uscc", "name", "district", "kind", "published_on", "expires_on",
                      "reasons", "records", "summary", "decision_no", "certificate_token"}
    a = next(r for r in rows if r.kind == "A")
    assert (a.reasons, a.records, a.summary) == ((), (), None)
    d = next(r for r in rows if r.kind == "D")
    assert d.reasons == ("D2",)
    assert [(x.type, x.date) for x in d.records] == [("violation", dt.date(2026, 3, 15))]
    assert [r.kind for r in disclosure.published_listings(kind="D")] == ["D"]
    assert disclosure.published_listings(district="桦南县") == []
    assert [r.kind for r in disclosure.published_listings(query="守信")] == ["A"]
    assert disclosure.published_listings(query=world.e["d"].uscc[:10])[0].kind == "D"
    assert disclosure.count_published() == 2
    assert disclosure.published_listings(limit=1, offset=1)[0].uscc in {
        world.e["a"].uscc, world.e["d"].uscc}


def test_removed_listing_leaves_at_once_and_the_feed_announces_it(db, world):
    before = dt.datetime(2000, 1, 1)
    app = publish_a(world)
    db.session.commit()
    assert [c.change for c in disclosure.changes_since(before)] == ["published"]
    mark = disclosure.changes_since(before)[-1].feed_at
    withdraw_consent(world.u["ent_a"], app)
    # Same transaction, not yet committed: already gone from the read model.
    assert disclosure.listing_for(world.e["a"].uscc) == ()
    db.session.commit()
    feed = disclosure.changes_since(before)
    assert [(c.uscc, c.kind, c.change) for c in feed] == [
        (world.e["a"].uscc, "A", "published"), (world.e["a"].uscc, "A", "removed")]
    assert [c.change for c in disclosure.changes_since(mark)] == ["removed"]


def test_expired_listing_leaves_on_its_expiry_day_even_before_tick(db, world):
    publish_a(world)
    db.session.commit()
    uscc = world.e["a"].uscc
    assert disclosure.listing_for(uscc, today=dt.date(2027, 10, 14))
    assert disclosure.listing_for(uscc, today=dt.date(2027, 10, 15)) == ()
    world.pin("2027-10-15")
    assert disclosure.published_listings() == []


def test_list_filters_take_like_signs_literally(db, world):
    publish_a(world)
    world.e["a"].industry = "C1311"
    db.session.commit()
    uscc = world.e["a"].uscc
    assert [e.uscc for e in disclosure.listed_enterprises("A", industry="C13")] == [uscc]
    assert [e.uscc for e in disclosure.listed_enterprises("A", district=world.e["a"].district,
                                                          industry="C1311")] == [uscc]
    for pattern in ("C_3", "%", "C1%", "_", "C13/"):
        assert disclosure.listed_enterprises("A", industry=pattern) == [], pattern
    assert disclosure.count_published("A") == 1
    assert disclosure.count_published("A", district=world.e["a"].district) == 1
    assert disclosure.count_published("A", district="汤原县" if world.e["a"].district != "汤原县"
                                      else "郊区") == 0
    assert disclosure.count_published("D") == 0


def test_listings_of_many_agree_with_each_enterprise_own(db, world):
    """The search and list pages read listings in one statement on the driver; what it gives
    is what the ORM's reading gives, dates and disclosed records decoded on either database,
    in batches, and nothing for the unlisted or on the day a listing ends."""
    publish_a(world)
    publish_d(db, world, summary="经复核列入")
    db.session.commit()
    a, d = world.e["a"].uscc, world.e["d"].uscc
    unknown = [f"9123080000000{i:04d}X" for i in range(disclosure._MANY + 5)]
    # The listed ones on both sides of a batch's end, an unlisted one, a repeat.
    usccs = [a, *unknown[:disclosure._MANY - 1], d, *unknown[disclosure._MANY - 1:],
             world.e["b"].uscc, a]
    many = disclosure.listings_for_many(usccs)
    assert list(many) == list(dict.fromkeys(usccs))
    assert many[a] == disclosure.listing_for(a) and [x.kind for x in many[a]] == ["A"]
    assert many[d] == disclosure.listing_for(d) and [x.kind for x in many[d]] == ["D"]
    listing = many[d][0]
    assert isinstance(listing.published_on, dt.date) and listing.summary == "经复核列入"
    assert [(x.type, x.date) for x in listing.records] == [("violation", dt.date(2026, 3, 15))]
    assert all(many[u] == () for u in [*unknown, world.e["b"].uscc])
    end = many[a][0].expires_on
    assert disclosure.listings_for_many([a], today=end - dt.timedelta(days=1))[a]
    assert disclosure.listings_for_many([a], today=end) == {a: ()}
    assert disclosure.listings_for_many([]) == {}


def test_listings_of_found_agree_with_listings_for_many(db, world):
    """A search page's listings, read by the ids its own statement gave, are what reading
    them by USCC gives: in batches, the enterprise's facts taken from the search result,
    nothing for the unlisted, and nothing on the day a listing ends."""
    from credit.services.search import PublicEnterprise

    publish_a(world)
    publish_d(db, world, summary="经复核列入")
    db.session.commit()

    def facts(e):
        return PublicEnterprise(e.uscc, e.name, e.district, e.established_on, e.industry,
                                e.address)

    ids = {world.e[k].id: facts(world.e[k]) for k in ("b", "a")}
    # Ids no enterprise has, on both sides of a batch's end, around the listed ones.
    for i in range(disclosure._MANY + 5):
        ids[-1 - i] = PublicEnterprise(f"9123080000000{i:04d}X", "无", "郊区",
                                       dt.date(2020, 1, 1), None, None)
        if i == disclosure._MANY - 2:
            ids[world.e["d"].id] = facts(world.e["d"])
    found = disclosure.listings_of_found(ids)
    usccs = [f.uscc for f in ids.values()]
    assert found == disclosure.listings_for_many(usccs) and list(found) == usccs
    a, d = world.e["a"].uscc, world.e["d"].uscc
    assert [x.kind for x in found[a]] == ["A"] and found[d][0].summary == "经复核列入"
    end = found[a][0].expires_on
    assert disclosure.listings_of_found(ids, today=end - dt.timedelta(days=1))[a]
    assert disclosure.listings_of_found(ids, today=end)[a] == ()
    assert disclosure.listings_of_found({}) == {}


def test_listings_of_many_start_from_the_enterprises(db):
    """Their listings come by each enterprise's own, however many live listings there are:
    on PostgreSQL the planner knows the tables' sizes; SQLite plans without statistics, and
    had walked every live listing for every page of search results."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the join order is fixed on SQLite only; PostgreSQL plans with statistics")
    statement = disclosure._listings_of_many_sql(False, 2)
    values = statement.values({"today": "2026-10-15", "u0": "x", "u1": "y"})
    plan = [row[3] for row in db.session.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + statement.sql, tuple(values))]
    assert plan[0].startswith("SEARCH enterprises USING INDEX") and "(uscc=?)" in plan[0]
    assert plan[1] == "SEARCH listings USING INDEX ix_listings_enterprise (enterprise_id=?)"
    statement = disclosure._listings_of_ids_sql(False, 2)
    values = statement.values({"today": "2026-10-15", "e0": 1, "e1": 2})
    plan = [row[3] for row in db.session.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + statement.sql, tuple(values))]
    assert plan[0] == "SEARCH listings USING INDEX ix_listings_enterprise (enterprise_id=?)"
