"""The staff backend (flask-admin)."""

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from admin.views import StaffIndexView


def init_admin(app: Flask) -> Admin:
    admin = Admin(
        name=_l("质量信用监管后台"),
        theme=Bootstrap4Theme(base_template="admin/staff_base.html", fluid=True),
        index_view=StaffIndexView(name=_l("首页"), url="/admin"),
    )
    admin.init_app(app)
    return admin
