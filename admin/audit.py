"""The audit log viewer (auditors and the city administrator): filters, before and after side
by side, and the chain check. Nothing here writes, except the check's own log entry."""

from __future__ import annotations

import datetime as dt
import json

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from admin.archives import DateFromFilter, EqualsFilter
from admin.views import AdminForm, StaffModelView
from credit.extensions import db
from credit.models import AuditEntry, User
from credit.permissions import can_open_audit_log
from credit.services import audit


class PrefixFilter(BaseSQLAFilter):
    """Actions of a family (``d_case.`` finds every D-case step): an index range."""

    def apply(self, query, value, alias=None):
        return query.filter(self.column >= value, self.column < value + "\uffff")

    def operation(self):
        return _l("开头是")


class AtFromFilter(DateFromFilter):
    def apply(self, query, value, alias=None):
        return query.filter(self.column >= dt.datetime.combine(value, dt.time()))


class AtToFilter(DateFromFilter):
    def apply(self, query, value, alias=None):
        return query.filter(self.column < dt.datetime.combine(value + dt.timedelta(days=1),
                                                              dt.time()))

    def operation(self):
        return _l("不晚于")


def _object(view, context, model, name):
    if model.object_id is None:
        return model.object_type
    return f"{model.object_type} #{model.object_id}"


class VerifyForm(AdminForm):
    """The chain check: a button."""


def _pairs(before, after) -> list[tuple[str, str, str, bool]]:
    """(key, before, after, changed) for the union of both sides' keys."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("", _show(before), _show(after), before != after)]
    keys = list(dict.fromkeys([*before, *after]))
    return [(k, _show(before.get(k)), _show(after.get(k)), before.get(k) != after.get(k))
            for k in keys]


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1)


class AuditAdmin(StaffModelView):
    column_list = ("at", "actor", "action", "object", "id")
    column_labels = {"at": _l("时间（UTC）"), "actor": _l("操作人"), "action": _l("操作"),
                     "object": _l("对象"), "id": _l("序号")}
    column_sortable_list = ("at", "id")
    column_default_sort = ("id", True)
    column_formatters = {
        "object": _object,
        "at": lambda v, c, m, n: m.at.strftime("%Y-%m-%d %H:%M:%S"),
        "id": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            v.get_url(".details_view", id=m.id), m.id),
    }
    column_filters = (
        EqualsFilter(AuditEntry.actor, _l("操作人")),
        PrefixFilter(AuditEntry.action, _l("操作")),
        EqualsFilter(AuditEntry.object_type, _l("对象类型")),
        EqualsFilter(AuditEntry.object_id, _l("对象编号")),
        AtFromFilter(AuditEntry.at, _l("日期")),
        AtToFilter(AuditEntry.at, _l("日期")),
    )
    list_template = "admin/audit/list.html"

    def allowed(self, user: User) -> bool:
        return can_open_audit_log(user)

    def scope(self, query):
        return query  # whole-city readers only (can_open_audit_log)

    @expose("/details/")
    def details_view(self):
        entry = self.get_one(request.args.get("id"))
        return self.render("admin/audit/details.html", entry=entry,
                           pairs=_pairs(entry.before or {}, entry.after or {}))

    @expose("/verify", methods=("POST",))
    def verify(self):
        if not VerifyForm().validate_on_submit():
            flash(_("请求已过期，请重试。"), "error")
            return redirect(url_for(".index_view"))
        broken = next(audit.verify(), None)
        if broken is None:
            total = db.session.query(AuditEntry).count()
            flash(_("审计日志完整：%(n)d条记录的哈希链全部吻合。", n=total), "success")
        elif broken.entry_id is not None:
            flash(_("审计日志在第%(id)d条处断开：%(problem)s", id=broken.entry_id,
                    problem=broken.problem), "error")
        else:  # a grade change or a checkpoint outside the log
            flash(_("审计日志检查未通过（%(where)s）：%(problem)s",
                    where=getattr(broken, "where", ""), problem=broken.problem), "error")
        audit.record("audit.verify", "audit", None, actor_id=current_user.id,
                     after={"intact": broken is None,
                            "broken_at": broken.entry_id if broken else None,
                            "problem": broken.problem if broken else None})
        db.session.commit()
        return redirect(url_for(".index_view"))

    def render(self, template, **kwargs):
        kwargs.setdefault("verify_form", VerifyForm(formdata=None))
        return super().render(template, **kwargs)
