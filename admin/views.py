"""Every admin view stands on one secured base: signed-in, active staff only."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user


class StaffOnly:
    """Mixin for admin views: anonymous visitors go to sign-in, non-staff get 403."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.is_staff

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class StaffIndexView(StaffOnly, AdminIndexView):
    @expose("/")
    def index(self):
        return self.render("admin/index.html")
