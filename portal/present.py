"""How public values look in the API and on the pages: one place for field names and labels,
so that the enterprise page, the API object and a search item are built the same way."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from flask import url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from markupsafe import Markup

from credit.industries import industry_name
from credit.labels import RECORD_TYPES
from credit.services.disclosure import PublicListing

#: Public wording of the D reason codes a publisher may disclose (policy 三(四)).
D_REASONS = {
    "D1": _l("无法定资质或法定资质有效证件失效"),
    "D2": _l("故意生产假冒伪劣产品"),
    "D3": _l("实行行政许可管理的产品未满足许可要求，且逾期未整改到位"),
    "D4": _l("连续两次监督抽查不合格，或监督检验严重不合格、未经检验出厂"),
    "D5": _l("虚假广告、虚假数据或虚假宣传造成重大危害"),
    "D6": _l("产品无标准生产或不按标准生产"),
    "D7": _l("严重质量违法违规，达到吊销许可证照或移送司法机关的程度"),
    "D8": _l("严重违反明示或承诺的服务条款，不能提供售后服务"),
    "D9": _l("因产品质量问题造成重大事故"),
}

KINDS = {"A": _l("守信企业公示"), "D": _l("严重失信企业名单")}
CHANGES = {"published": _l("公示"), "removed": _l("撤下")}


def iso(value: dt.date | dt.datetime | None) -> str | None:
    """ISO 8601; date-times are stored in UTC and say so (``Z``)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat() + "Z"
    return value.isoformat()


def reason_label(code: str) -> str:
    return str(D_REASONS.get(code, code))


def record_type_label(code: str) -> str:
    return str(RECORD_TYPES.get(code, code))


def listing_json(listing: PublicListing) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": listing.kind,
        "published_on": iso(listing.published_on),
        "expires_on": iso(listing.expires_on),
    }
    if listing.kind == "A" and listing.certificate_token:
        data["certificate_url"] = url_for("portal.certificate", token=listing.certificate_token,
                                          _external=True)
        data["verify_url"] = url_for("portal.verify", token=listing.certificate_token,
                                     _external=True)
    if listing.kind == "D":
        data["decision_no"] = listing.decision_no
        data["reasons"] = [{"code": c, "text": reason_label(c)} for c in listing.reasons]
        data["records"] = [{"type": r.type, "type_name": record_type_label(r.type),
                            "date": iso(r.date), "ref": r.ref} for r in listing.records]
        data["summary"] = listing.summary
    return data


def enterprise_json(facts: Any, listings: tuple[PublicListing, ...]) -> dict[str, Any]:
    """The Enterprise object: registration facts and the live listings, nothing else.
    ``facts`` is a search result or a listed enterprise (same attribute names)."""
    return {
        "uscc": facts.uscc,
        "name": facts.name,
        "district": facts.district,
        "established_on": iso(facts.established_on),
        "industry": facts.industry,
        "industry_name": industry_name(facts.industry),
        "address": facts.address,
        "url": url_for("portal.enterprise", uscc=facts.uscc, _external=True),
        "listings": [listing_json(item) for item in listings],
    }


#: What the enterprise's own page calls each state (never a grade).
STATES = {
    "a_application": {
        "inspection_pending": _l("等待检验机构评价意见"), "evaluating": _l("省级评价中"),
        "approved": _l("评价通过，等待公示"), "rejected": _l("评价未通过"),
        "published": _l("公示中"), "expired": _l("公示期满"), "withdrawn": _l("已终止"),
    },
    "d_case": {
        "notified": _l("已告知，可陈述申辩"), "answered": _l("已陈述申辩，等待决定"),
        "answer_closed": _l("申辩期已结束，等待决定"), "published": _l("已列入名单"),
        "not_published": _l("决定不列入"),
    },
    "repair": {
        "applied": _l("已申请，等待受理"), "accepted": _l("已受理，核实中"),
        "refused": _l("不予受理"), "approved": _l("修复通过，已移出名单"),
        "rejected": _l("核实未通过"), "ended": _l("名单已移出，申请随之终止"),
    },
    # why a repair application ended with its listing
    "repair_end": {
        "expired": _l("名单期满移出"), "publisher_decision": _l("经发布机关决定移出"),
    },
}


def state_label(state: str, machine: str) -> str:
    return str(STATES.get(machine, {}).get(state, state))


def last_day(expires_on: dt.date) -> str:
    """A listing's ``expires_on`` is the first day it is no longer shown; people read the last
    day it is valid."""
    return (expires_on - dt.timedelta(days=1)).isoformat()


def local_date(moment: dt.datetime) -> str:
    """A stored UTC moment as the bureau's calendar date."""
    from credit.clock import BUREAU_TZ

    return moment.replace(tzinfo=dt.UTC).astimezone(BUREAU_TZ).date().isoformat()


def atom_time(moment: dt.datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


@pass_context
def industry_filter(context, code: str | None) -> str:
    """``稻谷加工（C1311）`` in the page's language (read once a page from its context, not
    once a row)."""
    from credit.industries import industry_label

    return industry_label(code, context.get("current_locale"))


@pass_context
def industry_options(context, selected: str | None) -> Markup:
    """The ``<option>`` elements of the list pages' industry filter (the 97 divisions),
    ``selected`` marked: built once a language and choice, not once a page."""
    locale = context.get("current_locale") or str(get_locale())  # the cache is per language
    return _industry_options(locale, selected or None)


@functools.lru_cache(maxsize=256)
def _industry_options(locale: str | None, selected: str | None) -> Markup:
    from credit.industries import division_choices

    option = Markup('<option value="{0}"{1}>{2}（{0}）</option>')
    return Markup("").join(option.format(code, Markup(" selected") if code == selected else "",
                                         name) for code, name in division_choices(locale))


def register_filters(app) -> None:
    app.add_template_global(industry_options, "industry_options")
    app.add_template_filter(industry_filter, "industry")
    app.add_template_filter(reason_label, "reason")
    app.add_template_filter(record_type_label, "record_type")
    app.add_template_filter(state_label, "state")
    app.add_template_filter(last_day, "last_day")
    app.add_template_filter(local_date, "local_date")
    app.add_template_filter(atom_time, "atom_time")
    app.add_template_filter(lambda kind: str(KINDS.get(kind, kind)), "kind_name")
