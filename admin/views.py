"""One secured base for every admin view: signed-in, active staff only, each screen behind a
named permission, every query scoped to the user's jurisdiction.

- Anonymous visitors are sent to ``/login?next=...``; signed-in users without the screen's
  right (enterprise accounts always) get 403; an object outside the user's jurisdiction, or a
  screen feature switched off, is 404, exactly as an object that does not exist.
- ``StaffModelView`` lists use a simple pager (no full count) and apply ``scope`` to the list,
  the count and every single-object load.
- Forms are Flask-WTF forms, so every POST carries the CSRF token that ``CSRFProtect`` checks.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from credit import clock
from credit.extensions import db
from credit.models import User
from credit.permissions import can_open_backend
from credit.workflows.errors import ConcurrentChange, InvalidTransition, WorkflowError


def _error_page(code: int, message: str):
    """Abort with the backend's own error page (a 403 or 404 in the interface language)."""
    body = render_template("admin/error.html", code=code, message=message)
    abort(make_response(body, code))


def forbidden():
    _error_page(403, _("您没有打开此页面的权限。"))


def not_found():
    _error_page(404, _("没有找到该页面或对象，或者它不在您的管辖范围内。"))


def deny():
    """Anonymous: to the sign-in page (and back here after); anyone else: 403."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    forbidden()


def requires(check: Callable[[User], bool]):
    """Guard one exposed method with a named permission check (403 when it fails)."""

    def wrap(fn):
        @wraps(fn)
        def inner(*args, **kwargs):
            if not check(current_user):
                forbidden()
            return fn(*args, **kwargs)

        return inner

    return wrap


def as_int(value: Any) -> int:
    """An id from a URL; anything else is a page that does not exist."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        not_found()
    if not 0 < number < 2**63:
        not_found()
    return number


class Secured:
    """Mixin for every admin view: ``allowed(user)`` is the screen's named permission."""

    def allowed(self, user: User) -> bool:
        return True

    def is_accessible(self) -> bool:
        return can_open_backend(current_user) and self.allowed(current_user)

    def inaccessible_callback(self, name, **kwargs):
        return deny()


class AdminForm(FlaskForm):
    """The base of every admin form: Flask-WTF's CSRF token included."""


def commit_or_flash(act: Callable[[], Any], done: str, *, stale: bool = False,
                    explain: Callable[[WorkflowError], str] | None = None) -> bool:
    """Run one domain step, commit once; on a refused step roll back and say why.

    ``stale``: the form was made from an older version of the object. A step refused
    because the object has moved on is then reported as someone else acting first.
    ``explain`` words the refusal (default: :func:`admin.wording.workflow_message`).
    """
    from admin.wording import workflow_message

    try:
        act()
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        if stale and isinstance(exc, InvalidTransition):
            exc = ConcurrentChange(str(exc))
        flash((explain or workflow_message)(exc), "error")
        return False
    flash(done, "success")
    return True


class StaffView(Secured, BaseView):
    """A custom screen of the backend."""

    def today(self):
        return clock.today()

    def commit_or_flash(self, act: Callable[[], Any], done: str, *,
                        stale: bool = False) -> bool:
        """:func:`commit_or_flash` for this screen."""
        return commit_or_flash(act, done, stale=stale)


class StaffModelView(Secured, ModelView):
    """A list of rows of one model, scoped to the user's jurisdiction, read-only by default."""

    form_base_class = AdminForm
    simple_list_pager = True  # no COUNT(*) over a million rows on every page
    page_size = 20
    can_set_page_size = False
    can_create = False
    can_edit = False
    can_delete = False
    can_export = False
    can_view_details = True
    column_display_actions = True
    action_disallowed_list = ["delete"]

    def __init__(self, model, **kwargs):
        super().__init__(model, db, **kwargs)

    def scope(self, query):
        """Restrict a query of this view's rows to the user's jurisdiction."""
        raise NotImplementedError

    def get_query(self):
        return self.scope(super().get_query())

    def get_count_query(self):
        return self.scope(super().get_count_query())

    def get_one(self, id):
        row = self.get_query().filter(self.model.id == as_int(id)).first()
        if row is None:
            not_found()
        return row

    _FEATURES = {"create_view": "can_create", "edit_view": "can_edit",
                 "delete_view": "can_delete", "details_view": "can_view_details",
                 "export": "can_export"}

    def _handle_view(self, name, **kwargs):
        denied = super()._handle_view(name, **kwargs)
        if denied:
            return denied
        flag = self._FEATURES.get(name)
        if name in ("ajax_lookup", "ajax_update", "action_view") and not self.uses(name):
            not_found()
        if flag is not None and not getattr(self, flag):
            not_found()
        return None

    def uses(self, endpoint: str) -> bool:
        """Whether this view uses one of flask-admin's optional endpoints."""
        return False


def _refresh_stats_later(today):
    """Rebuild stale dashboard summaries once the response has been sent."""
    import logging

    from flask import current_app

    from credit.services import stats

    app = current_app._get_current_object()

    def refresh() -> None:
        with app.app_context():
            try:
                stats.ensure_stats(today)
                db.session.commit()
            except Exception:  # the figures stay as they were; the next view tries again
                db.session.rollback()
                logging.getLogger(__name__).exception("dashboard summaries not rebuilt")
            finally:
                db.session.remove()

    return refresh


class StaffIndexView(Secured, AdminIndexView):
    """The home page: each role's work at once, and the dashboard for internal readers."""

    @expose("/")
    def index(self):
        from admin.dashboard import dashboard_context

        today = clock.today()
        context = dashboard_context(current_user, today)
        db.session.commit()  # keeps the summaries if this view built the first ones
        response = make_response(self.render("admin/index.html", **context))
        if context.get("refresh_after"):
            response.call_on_close(_refresh_stats_later(today))
        return response


__all__ = ["AdminForm", "StaffIndexView", "StaffModelView", "StaffView", "as_int", "deny",
           "forbidden", "not_found", "requires"]
