"""The staff backend (flask-admin): every view stands on the secured base in admin/views.py."""

import datetime as dt
import secrets

from flask import Flask, Response, g, request
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from admin.views import StaffIndexView


def init_admin(app: Flask) -> Admin:
    from admin import wording
    from admin.archives import EnterpriseAdmin, RecordAdmin
    from admin.audit import AuditAdmin
    from admin.calendar import CalendarAdmin
    from admin.exports import ExportAdmin
    from admin.imports import ImportAdmin
    from admin.plans import InspectorAdmin, PlanAdmin, SettingsAdmin
    from admin.queues import QueueAdmin, queue_url
    from admin.reports import PublicReportAdmin, SupervisionReportAdmin
    from admin.users import UserAdmin
    from admin.warnings import HonourAdmin, WarningAdmin
    from credit.industries import industry_label
    from credit.models import AuditEntry, Enterprise, Record, User

    admin = Admin(
        name=_l("质量信用监管后台"),
        theme=Bootstrap4Theme(base_template="admin/staff_base.html", fluid=True),
        index_view=StaffIndexView(name=_l("首页"), url="/admin"),
        csp_nonce_generator=_nonce,
    )
    archives, system = _l("档案"), _l("系统")
    admin.add_view(QueueAdmin(name=_l("待办事项"), endpoint="queues", url="/admin/queues"))
    admin.add_view(EnterpriseAdmin(Enterprise, name=_l("企业"), category=archives,
                                   endpoint="enterprises", url="/admin/enterprises"))
    admin.add_view(RecordAdmin(Record, name=_l("档案记录"), category=archives,
                               endpoint="records", url="/admin/records"))
    admin.add_view(ImportAdmin(name=_l("批量导入"), category=archives, endpoint="imports",
                               url="/admin/import"))
    admin.add_view(ExportAdmin(name=_l("导出"), endpoint="exports", url="/admin/exports"))
    supervision = _l("分级监管")
    admin.add_view(PlanAdmin(name=_l("双随机抽查"), category=supervision, endpoint="plans",
                             url="/admin/plans"))
    admin.add_view(WarningAdmin(name=_l("黄牌警告"), category=supervision, endpoint="warnings",
                                url="/admin/warnings"))
    admin.add_view(HonourAdmin(name=_l("荣誉"), category=supervision, endpoint="honours",
                               url="/admin/honours"))
    admin.add_view(PublicReportAdmin(name=_l("举报"), category=supervision,
                                     endpoint="public_reports", url="/admin/public-reports"))
    admin.add_view(SupervisionReportAdmin(name=_l("监管报告"), category=supervision,
                                          endpoint="supervision_reports",
                                          url="/admin/supervision-reports"))
    admin.add_view(InspectorAdmin(name=_l("执法检查人员名录库"), category=supervision,
                                  endpoint="inspectors", url="/admin/inspectors"))
    admin.add_view(SettingsAdmin(name=_l("抽查设置"), category=supervision,
                                 endpoint="supervision_settings",
                                 url="/admin/supervision-settings"))
    admin.add_view(UserAdmin(User, name=_l("账户"), category=system, endpoint="users",
                             url="/admin/users"))
    admin.add_view(CalendarAdmin(name=_l("工作日历"), category=system, endpoint="calendar",
                                 url="/admin/calendar"))
    admin.add_view(AuditAdmin(AuditEntry, name=_l("审计日志"), category=system,
                              endpoint="audit", url="/admin/audit"))
    admin.init_app(app)
    app.jinja_env.globals.update(wording=wording, queue_url=queue_url,
                                 industry_label=industry_label, timedelta=dt.timedelta)
    app.after_request(_security_headers)
    return admin


def _nonce() -> str:
    """One nonce per request for flask-admin's own inline scripts."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _security_headers(response: Response) -> Response:
    """The staff backend's headers: scripts only from this site (and flask-admin's inline
    ones, by nonce), no framing, no caching of internal pages by shared caches."""
    if request.path == "/admin" or request.path.startswith("/admin/"):
        response.headers.setdefault("Content-Security-Policy", (
            "default-src 'self'; script-src 'self' 'nonce-" + _nonce() + "'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
            "frame-ancestors 'none'"))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.path.startswith("/admin/static/"):
            response.headers.setdefault("Cache-Control", "private, no-store")
    return response
