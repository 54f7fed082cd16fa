"""The demo walk: a fresh demo site has something to show at every step, on both sides."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from credit.models import (
    APublicationApplication,
    DCase,
    Listing,
    ListingChange,
    RepairApplication,
    Report,
    User,
)
from credit.services import disclosure
from credit.services.accounts import DEMO_PASSWORD, authenticate
from credit.workflows import a_publication, repair
from credit.workflows.d_listing import confirm_case
from credit.workflows.errors import WorkflowError

DAY = dt.date(2026, 10, 15)


def states(db, model) -> dict[str, int]:
    return dict(db.session.execute(select(model.state, func.count()).group_by(model.state)).all())


def test_the_demo_walk_shows_every_step(app, cli, db, today, monkeypatch):
    monkeypatch.setattr("credit.models.users.generate_password_hash",
                        lambda p: generate_password_hash(p, "pbkdf2:sha256:1"))
    today(DAY)
    result = cli("demo", "--enterprises", "600", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "Demo account enterprise-d" in result.output
    # Public side: live A and D listings, certificates, removals in the feed.
    counts = disclosure.count_by_kind()
    assert counts["A"] >= 5 and counts["D"] >= 4
    live_a = disclosure.published_listings(kind="A", limit=100)
    assert all(item.certificate_token for item in live_a)
    assert any(item.expires_on <= DAY + dt.timedelta(days=30) for item in live_a)
    removed = db.session.scalars(select(ListingChange.kind)
                                 .where(ListingChange.change == "removed")).all()
    assert "A" in removed and "D" in removed
    live_d = db.session.scalars(select(Listing).where(Listing.kind == "D",
                                                      Listing.removed_on.is_(None))).all()
    assert any(repair.earliest_application(item) <= DAY for item in live_d)
    assert any(item.removal_prompted for item in live_d)
    # Staff side: something waiting at every step.
    apps = states(db, APublicationApplication)
    for state in ("inspection_pending", "evaluating", "approved", "published"):
        assert apps.get(state), (state, apps)
    cases = states(db, DCase)
    for state in ("proposed", "confirmed", "notified", "answered", "answer_closed",
                  "published"):
        assert cases.get(state), (state, cases)
    repairs = states(db, RepairApplication)
    assert repairs.get("applied") and repairs.get("accepted") and repairs.get("approved")
    assert db.session.scalar(select(func.count(Report.id))) >= 3
    # The demo reviewer may review a proposed case (four eyes).
    reviewer = db.session.scalar(select(User).where(User.username == "reviewer"))
    case = db.session.scalar(select(DCase).where(DCase.state == "proposed").limit(1))
    confirm_case(reviewer, case)
    db.session.rollback()
    # The enterprise demo accounts have something to do.
    firm = authenticate("enterprise", DEMO_PASSWORD)
    assert a_publication.is_eligible(firm.enterprise)
    firm_d = authenticate("enterprise-d", DEMO_PASSWORD)
    notified = db.session.scalar(select(DCase).where(DCase.enterprise_id == firm_d.enterprise_id,
                                                     DCase.state == "notified"))
    assert notified is not None and notified.answer_due >= DAY
    firm_r = authenticate("enterprise-repair", DEMO_PASSWORD)
    listing = db.session.scalar(select(Listing).where(Listing.enterprise_id == firm_r.enterprise_id,
                                                      Listing.kind == "D"))
    try:
        repair.apply_for_repair(firm_r, listing, "已整改")
    except WorkflowError as exc:
        raise AssertionError(f"enterprise-repair cannot apply: {exc}") from exc
    db.session.rollback()
    assert authenticate("enterprise-a", DEMO_PASSWORD) is not None


def test_the_demo_gives_the_supervision_screens_something_to_show(app, cli, db, today,
                                                                   monkeypatch):
    from credit.models import Honour, InspectionPlan, Inspector, PlanItem, WarningNotice
    from credit.services.plans import verify_plan
    from credit.services.supervision_work import supervision_work
    from credit.vocabulary import DISTRICTS

    monkeypatch.setattr("credit.models.users.generate_password_hash",
                        lambda p: generate_password_hash(p, "pbkdf2:sha256:1"))
    today(DAY)
    result = cli("demo", "--enterprises", "600", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "Graded supervision: inspectors 44" in result.output
    pools = dict(db.session.execute(select(Inspector.jurisdiction, func.count())
                                    .group_by(Inspector.jurisdiction)).all())
    assert set(pools) == set(DISTRICTS) and min(pools.values()) >= 2
    plan = db.session.scalar(select(InspectionPlan).where(InspectionPlan.state == "drawn"))
    assert plan.period == "2026-10" and plan.selected_count > 0
    assert db.session.scalar(select(func.count()).select_from(PlanItem).where(
        PlanItem.plan_id == plan.id, PlanItem.result.is_not(None))) >= 2
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    assert verify_plan(admin, plan).ok
    assert states(db, WarningNotice).get("issued", 0) >= 1
    assert db.session.scalar(select(func.count()).select_from(Honour)
                             .where(Honour.flag.is_not(None))) >= 1
    publisher = db.session.scalar(select(User).where(User.username == "publisher"))
    work = supervision_work(publisher, DAY)
    assert work["plans_open"] == 1 and work["honours_flagged"] >= 1
    assert work["warnings_overdue"] >= 1 and work["reports_new"] >= 1
