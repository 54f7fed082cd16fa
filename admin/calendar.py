"""The working-day calendar (city administrator): a year's status and special days, setting
a day, confirming a year; each change shows first which open deadlines it would move.

Every change goes through credit.services.calendar, which checks the right, audits, and
recomputes the deadlines (never against the enterprise).
"""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import DateField, HiddenField, RadioField, StringField
from wtforms.validators import InputRequired, Length, Optional

from admin.forms import REQUIRED, choice_list
from admin.views import AdminForm, StaffView
from admin.wording import workflow_message
from credit import clock
from credit.extensions import db
from credit.models import Enterprise, User
from credit.permissions import can_manage_settings
from credit.services import calendar
from credit.workflows.errors import WorkflowError

KINDS = {"holiday": _l("放假（工作日休息）"), "workday": _l("调休上班（周末工作）"),
         "normal": _l("恢复正常（按周一至周五）")}
MOVES = {"extend": _l("延长"), "reopen": _l("重新开放申辩期"), "advance": _l("提前"),
         "cut_short": _l("已无法延长（须人工考虑）")}
FIELDS = {"answer_due": _l("陈述申辩期限"), "accept_due": _l("信用修复受理期限"),
          "verify_due": _l("信用修复核实期限")}


class DayForm(AdminForm):
    day = DateField(_l("日期"), validators=[InputRequired(message=REQUIRED)],
                    render_kw={"placeholder": "YYYY-MM-DD"})
    kind = RadioField(_l("设为"), choices=choice_list(KINDS.items()),
                      validators=[InputRequired(message=REQUIRED)])
    note = StringField(_l("说明"), validators=[Optional(), Length(max=calendar.NOTE_MAX)],
                       description=_l("例如节日名称或国务院通知文号。"))
    step = HiddenField()


class ConfirmForm(AdminForm):
    note = StringField(_l("说明"), validators=[Optional(), Length(max=calendar.NOTE_MAX)],
                       description=_l("例如国务院办公厅关于节假日安排的通知文号。"))
    step = HiddenField()


class UnconfirmForm(AdminForm):
    note = StringField(_l("撤销确认的理由"), validators=[InputRequired(message=REQUIRED),
                                                       Length(max=calendar.NOTE_MAX)])


def _moves_view(moves: list[calendar.DeadlineMove]) -> list[dict]:
    """The moves with their enterprises' names (one query)."""
    names = {ident: name for ident, name in db.session.execute(
        select(Enterprise.id, Enterprise.name).where(
            Enterprise.id.in_({m.enterprise_id for m in moves})))} if moves else {}
    return [{"move": m, "name": names.get(m.enterprise_id, ""),
             "field": FIELDS.get(m.field, m.field), "action": MOVES.get(m.action, m.action)}
            for m in moves]


class CalendarAdmin(StaffView):
    def allowed(self, user: User) -> bool:
        return can_manage_settings(user)

    def _year(self) -> int:
        try:
            year = int(request.args.get("year") or clock.today().year)
        except ValueError:
            year = clock.today().year
        return min(max(year, calendar.FIRST_YEAR), calendar.LAST_YEAR)

    def _page(self, year: int, *, day_form=None, confirm_form=None, unconfirm_form=None,
              preview=None, done=None):
        today = clock.today()
        status = calendar.year_status(year)
        return self.render(
            "admin/calendar.html", year=year, status=status,
            days=calendar.special_days(year),
            provisional=calendar.provisional_days_off(year),
            stored=calendar.stored_years(), to_confirm=calendar.years_to_confirm(today),
            day_form=day_form or DayForm(formdata=None),
            confirm_form=confirm_form or ConfirmForm(formdata=None),
            unconfirm_form=unconfirm_form or UnconfirmForm(formdata=None),
            preview=preview, done=done, kinds=KINDS, today=today)

    @expose("/")
    def index(self):
        return self._page(self._year())

    @expose("/day", methods=("POST",))
    def day(self):
        form = DayForm()
        year = self._year()
        if not form.validate_on_submit():
            return self._page(year, day_form=form)
        day, kind = form.day.data, form.kind.data
        year = day.year
        try:
            if form.step.data != "save":
                moves = calendar.preview_set_day(current_user, day, kind)
                form.step.data = "save"
                return self._page(year, day_form=form, preview={
                    "what": "day", "moves": _moves_view(moves)})
            change = calendar.set_day(current_user, day, kind, note=form.note.data or None)
            db.session.commit()
        except WorkflowError as exc:
            db.session.rollback()
            flash(workflow_message(exc) + f"（{exc}）", "error")
            return self._page(year, day_form=form)
        return self._done(year, change, _("已将%(day)s设为：%(kind)s。", day=day.isoformat(),
                                         kind=KINDS[kind]))

    @expose("/confirm", methods=("POST",))
    def confirm(self):
        form = ConfirmForm()
        year = self._year()
        if not form.validate_on_submit():
            return self._page(year, confirm_form=form)
        try:
            if form.step.data != "save":
                moves = calendar.preview_confirm_year(current_user, year)
                form.step.data = "save"
                return self._page(year, confirm_form=form, preview={
                    "what": "confirm", "moves": _moves_view(moves)})
            change = calendar.confirm_year(current_user, year, note=form.note.data or None)
            db.session.commit()
        except WorkflowError as exc:
            db.session.rollback()
            flash(workflow_message(exc) + f"（{exc}）", "error")
            return self._page(year, confirm_form=form)
        return self._done(year, change, _("已确认%(year)d年的节假日安排。", year=year))

    @expose("/unconfirm", methods=("POST",))
    def unconfirm(self):
        form = UnconfirmForm()
        year = self._year()
        if not form.validate_on_submit():
            return self._page(year, unconfirm_form=form)
        try:
            change = calendar.unconfirm_year(current_user, year, note=form.note.data)
            db.session.commit()
        except WorkflowError as exc:
            db.session.rollback()
            flash(workflow_message(exc) + f"（{exc}）", "error")
            return self._page(year, unconfirm_form=form)
        return self._done(year, change, _("已撤销%(year)d年的确认，该年按保守规则计算期限。",
                                         year=year))

    def _done(self, year: int, change: calendar.CalendarChange, message: str):
        if not change.changed:
            flash(_("日历原本就是这样，没有修改。"), "info")
            return redirect(url_for(".index", year=year))
        flash(message + " " + _("移动了%(n)d个期限。", n=len(change.moves)), "success")
        return self._page(year, done=_moves_view(change.moves))


def calendar_warnings(user: User, today: dt.date) -> list[tuple[str, str]]:
    """The home page's warning while a year is not confirmed (deadlines in it are provisional:
    counted conservatively, never shorter than the confirmed rules could give)."""
    years = calendar.years_to_confirm(today)
    if not years:
        return []
    listed = "、".join(str(y) for y in years)
    if can_manage_settings(user):
        return [("warning", _("%(years)s年的节假日安排尚未确认：期间的期限按保守规则暂定。"
                              "请在“工作日历”中核对并确认。", years=listed))]
    return [("info", _("%(years)s年的节假日安排尚未确认，涉及该年的期限为暂定。",
                       years=listed))]
