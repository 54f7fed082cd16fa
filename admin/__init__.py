"""The staff backend (flask-admin): every view stands on the secured base in admin/views.py."""

import datetime as dt

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from admin.views import StaffIndexView


def init_admin(app: Flask) -> Admin:
    from admin import wording
    from admin.archives import EnterpriseAdmin, RecordAdmin
    from admin.audit import AuditAdmin
    from admin.exports import ExportAdmin
    from admin.imports import ImportAdmin
    from admin.queues import QueueAdmin, queue_url
    from admin.users import UserAdmin
    from credit.industries import industry_label
    from credit.models import AuditEntry, Enterprise, Record, User

    admin = Admin(
        name=_l("质量信用监管后台"),
        theme=Bootstrap4Theme(base_template="admin/staff_base.html", fluid=True),
        index_view=StaffIndexView(name=_l("首页"), url="/admin"),
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
    admin.add_view(UserAdmin(User, name=_l("账户"), category=system, endpoint="users",
                             url="/admin/users"))
    admin.add_view(AuditAdmin(AuditEntry, name=_l("审计日志"), category=system,
                              endpoint="audit", url="/admin/audit"))
    admin.init_app(app)
    app.jinja_env.globals.update(wording=wording, queue_url=queue_url,
                                 industry_label=industry_label, timedelta=dt.timedelta)
    return admin
