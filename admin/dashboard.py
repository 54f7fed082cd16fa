"""The home page's figures: the user's open work, and for internal readers the grade charts."""

from __future__ import annotations

import datetime as dt
import json

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin.calendar import calendar_warnings
from admin.wording import GRADES, QUEUES
from credit.industries import industry_name
from credit.models import User
from credit.models.grades import GRADES as LETTERS
from credit.permissions import can_read_archives, can_record_any
from credit.services import queues, stats
from credit.services.supervision_work import supervision_work

#: The graded-supervision counts on the home page: label, and where the list is.
SUPERVISION = {
    "plans_to_draw": (_l("抽查计划：待抽取"), "plans.index", {"state": "created"}),
    "plans_open": (_l("抽查计划：待录入结果"), "plans.index", {"state": "drawn"}),
    "warnings_overdue": (_l("黄牌警告：整改期满待核查"), "warnings.index", {"overdue": 1}),
    "honours_flagged": (_l("荣誉：待处理"), "honours.index", {}),
    "reports_new": (_l("社会监督举报：待处理"), "public_reports.index", {"state": "new"}),
}


def supervision_counts(user: User, today: dt.date) -> list[tuple[str, str, int, str]]:
    """(key, label, count, link) for the supervision work the user's role may open."""
    counts = supervision_work(user, today)
    return [(key, str(label), counts[key], url_for(endpoint, **args))
            for key, (label, endpoint, args) in SUPERVISION.items() if key in counts]


def _division(code: str) -> str:
    if code == "*":
        return _("其他行业")
    if not code:
        return _("未登记行业")
    return industry_name(code) or code


def dashboard_context(user: User, today: dt.date) -> dict:
    counts = [(key, str(QUEUES[key]), total, overdue)
              for key, total, overdue in queues.queue_counts(user, today)]
    context = {
        "today": today,
        "queue_counts": counts,
        "open_total": sum(c[2] for c in counts if c[0] != "listing_expiring"),
        "overdue_total": sum(c[3] for c in counts),
        "may_record": can_record_any(user),
        "charts": None,
        "warnings": calendar_warnings(user, today),
        "supervision": supervision_counts(user, today),
    }
    if can_read_archives(user):
        built, fresh = stats.stats_state(today)
        if built is None:  # the very first view: build them now
            built = stats.ensure_stats(today)
        elif not fresh:
            context["refresh_after"] = True  # shown as they are; rebuilt after the response
        districts = stats.by_district(user)
        industries = stats.by_industry(user)
        moves = stats.movements(user, today)
        context["charts"] = {
            "built": built,
            "districts": districts,
            "industries": [(_division(code), row) for code, row in industries.rows],
            "movements": moves,
            "json": json.dumps({
                "grades": list(LETTERS),
                "gradeNames": {g: f"{g} {GRADES[g]}" for g in LETTERS},
                "districts": {"labels": [d for d, _ in districts.rows],
                              "series": {g: [row[g] for _, row in districts.rows]
                                         for g in LETTERS}},
                "industries": {"labels": [_division(code) for code, _ in industries.rows],
                               "series": {g: [row[g] for _, row in industries.rows]
                                          for g in LETTERS}},
                "movements": {"labels": [m.month for m in moves],
                              "up": [m.up for m in moves], "down": [m.down for m in moves],
                              "intoD": [m.into_d for m in moves],
                              "names": {"up": _("等级上升"), "down": _("等级下降"),
                                        "intoD": _("其中降为D级")}},
            }, ensure_ascii=False).replace("<", "\\u003c"),
        }
    return context
