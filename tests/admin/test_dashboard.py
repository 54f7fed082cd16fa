"""The home page: each role's open work at once; grade charts for internal readers, drawn in
the browser and readable as tables; figures kept in small summaries, scoped per user."""

from __future__ import annotations

import datetime as dt
import re

from credit.extensions import db as _db
from credit.models import GradeStat, JobRun
from credit.services import stats


def table(html: str, ident: str) -> str:
    return re.search(rf'<table[^>]*id="{ident}".*?</table>', html, re.S).group(0)


def test_publisher_sees_its_work_first(world, sign_in):
    html = sign_in(world.u["publisher"]).get("/admin/").get_data(as_text=True)
    work = table(html, "my-work")
    assert "信用修复：待受理" in work and "/admin/queues/?q=repair_accept" in work
    assert "待复核" not in work  # not a publisher's queue


def test_evaluator_home_has_no_grade_figures(world, sign_in):
    html = sign_in(world.u["evaluator"]).get("/admin/").get_data(as_text=True)
    assert "待省级评价" in html
    assert 'id="table-districts"' not in html and "echarts" not in html


def test_grade_distribution_as_tables_and_chart_data(world, sign_in):
    html = sign_in(world.u["admin"]).get("/admin/").get_data(as_text=True)
    districts = table(html, "table-districts")
    assert "向阳区" in districts and "桦南县" in districts
    assert "/static/vendor/echarts/echarts.min.js" in html
    assert '<script type="application/json" id="chart-data">' in html
    industries = table(html, "table-industries")
    assert "农副食品加工业" in industries


def test_district_staff_see_only_their_jurisdiction(world, sign_in):
    html = sign_in(world.u["recorder_h"]).get("/admin/").get_data(as_text=True)
    districts = table(html, "table-districts")
    assert "桦南县" in districts and "向阳区" not in districts


def test_movements_from_the_grade_history(world, sign_in):
    html = sign_in(world.u["admin"]).get("/admin/").get_data(as_text=True)
    assert 'id="table-movements"' in html


def test_summaries_are_rebuilt_only_when_stale(app, db, world, sign_in):
    client = sign_in(world.u["admin"])
    client.get("/admin/")
    built = _db.session.get(JobRun, stats.JOB).finished_at
    _db.session.query(GradeStat).delete()
    _db.session.commit()
    client.get("/admin/")  # fresh: read as stored (here, emptied), not recomputed
    assert _db.session.query(GradeStat).count() == 0
    run = _db.session.get(JobRun, stats.JOB)
    run.finished_at = built - dt.timedelta(seconds=app.config["DASHBOARD_STATS_TTL"] + 1)
    _db.session.commit()
    stale = client.get("/admin/")  # stale: shown at once as stored, rebuilt after the response
    assert "向阳区" not in table(stale.get_data(as_text=True), "table-districts")
    stale.close()  # the server closes the response once it has been sent
    _db.session.expire_all()
    assert _db.session.query(GradeStat).count() > 0
    assert _db.session.get(JobRun, stats.JOB).finished_at > built


def test_summary_counts_match_the_grades(world):
    stats.refresh_stats(world.day)
    totals = stats.by_district(world.u["admin"]).totals
    assert sum(totals.values()) == len(world.e)
    assert totals["D"] == 4  # d, dl in each of the two jurisdictions
