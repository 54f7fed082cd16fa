"""Reports: the public's 举报 queue, and the printable D report and monthly summary.

The 举报 queue reads ``credit.services.reports`` (scoped to the jurisdiction; the reporter's
contact details are shown here, to staff, and nowhere else). The supervision reports call
``credit.services.supervision_reports``, which checks the jurisdiction and audits every report
and export; the audit entry is committed before the page or file leaves.
"""

from __future__ import annotations

import tempfile

from flask import flash, redirect, render_template, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from admin.forms import COMMENT_MAX, REQUIRED, VersionedForm, choice_list
from admin.plans import send_workbook
from admin.supervision_words import REPORT_CATEGORIES, REPORT_STATES, refusal
from admin.views import AdminForm, StaffView, as_int, commit_or_flash, not_found, requires
from credit import clock
from credit.extensions import db
from credit.models import User
from credit.permissions import (
    can_handle_report,
    can_handle_reports_any,
    can_read_archives,
    can_view_reports,
)
from credit.services import reports as report_service
from credit.services import supervision_reports as summaries
from credit.services.plans import parse_period
from credit.vocabulary import DISTRICTS
from credit.workflows.errors import (
    InvalidInput,
    NotPermitted,
    WorkflowError,
)

PAGE = 50

#: The monthly summary's figures in the interface language (the workbook keeps the
#: service's Chinese headers, a fixed document format).
FIGURE_LABELS = {
    "grade_A": _l("A级（月末）"), "grade_B": _l("B级（月末）"), "grade_C": _l("C级（月末）"),
    "grade_D": _l("D级（月末）"), "graded": _l("企业合计（月末）"),
    "newly_graded": _l("新评定"), "improved": _l("等级上升"), "worsened": _l("等级下降"),
    "became_d": _l("新增D级"),
    "a_published": _l("守信公示新增"), "a_removed": _l("守信公示撤下"),
    "d_published": _l("严重失信名单新增"), "d_removed": _l("严重失信名单撤下"),
    "cases_proposed": _l("D级案件提出"), "cases_dismissed": _l("D级案件驳回"),
    "cases_open": _l("D级案件在办（月末）"),
    "plan_selected": _l("双随机抽中"), "plan_done": _l("双随机已录结果"),
    "checks": _l("检查抽查记录"), "checks_failed": _l("其中不合格"),
    "warnings_issued": _l("黄牌警告发出"), "warnings_closed": _l("黄牌警告办结"),
    "honours_flagged": _l("荣誉待处理标记"), "honours_acted": _l("荣誉处理决定"),
}


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 100_000))
    except ValueError:
        return 1


# -- 举报 ------------------------------------------------------------------------------------


class HandleForm(VersionedForm):
    note = TextAreaField(_l("处理情况"), validators=[DataRequired(message=REQUIRED),
                                                 Length(max=COMMENT_MAX)],
                         render_kw={"rows": 3})


class PublicReportAdmin(StaffView):
    """Reports from the public portal (/report) of the user's jurisdiction."""

    def allowed(self, user: User) -> bool:
        return can_view_reports(user)

    @expose("/")
    def index(self):
        state = request.args.get("state") or None
        if state not in REPORT_STATES:
            state = None
        page = _page_number()
        rows = report_service.reports_for(current_user, state=state, limit=PAGE + 1,
                                          offset=(page - 1) * PAGE)
        return self.render("admin/public_reports/index.html", rows=rows[:PAGE],
                           more=len(rows) > PAGE, page=page, state=state,
                           states=REPORT_STATES, categories=REPORT_CATEGORIES)

    def _report(self, item_id):
        report = report_service.report_for(current_user, as_int(item_id))
        if report is None:
            not_found()
        return report

    def _page(self, report, form=None):
        if report.state == "new" and can_handle_report(current_user, report):
            form = form or HandleForm(version=report.version, formdata=None)
        else:
            form = None
        return self.render("admin/public_reports/report.html", report=report, form=form,
                           states=REPORT_STATES, categories=REPORT_CATEGORIES)

    @expose("/<item_id>")
    def report(self, item_id):
        return self._page(self._report(item_id))

    @expose("/<item_id>/handle", methods=("POST",))
    @requires(can_handle_reports_any)
    def handle(self, item_id):
        report = self._report(item_id)
        form = HandleForm()
        if not form.validate_on_submit():
            for error in form.note.errors:
                flash(_("%(field)s：%(error)s", field=form.note.label.text, error=error), "error")
            return self._page(report, form)
        commit_or_flash(
            lambda: report_service.mark_report_handled(current_user, report, form.note.data,
                                                       version=form.version.data),
            _("已标记为已处理。"), stale=form.version.data != report.version, explain=refusal)
        return redirect(url_for(".report", item_id=report.id))


# -- the D report and the monthly summary ---------------------------------------------------------


class SummaryForm(AdminForm):
    month = StringField(_l("月份"), validators=[DataRequired(message=REQUIRED)],
                        render_kw={"placeholder": "YYYY-MM"})
    jurisdiction = SelectField(_l("辖区"), choices=[], validate_choice=False)


def _choices(user: User) -> list[tuple[str, str]]:
    if user.jurisdiction:
        return [(user.jurisdiction, user.jurisdiction)]
    return [("", _("全市")), *[(d, d) for d in DISTRICTS]]


def _jurisdiction(value: str | None) -> str | None:
    """A jurisdiction from a query string: a district user's own is implied; another one
    (or a name that is none) is a page that does not exist."""
    value = value or None
    if value is not None and value not in DISTRICTS:
        not_found()
    if current_user.jurisdiction is not None and value not in (None, current_user.jurisdiction):
        not_found()
    return value or current_user.jurisdiction


class SupervisionReportAdmin(StaffView):
    """Printable D report per jurisdiction; the monthly summary and its workbook."""

    def allowed(self, user: User) -> bool:
        return can_read_archives(user)

    def _form(self, **kwargs) -> SummaryForm:
        form = SummaryForm(**kwargs)
        form.jurisdiction.choices = choice_list(_choices(current_user))
        return form

    @expose("/")
    def index(self):
        today = clock.today()
        return self.render("admin/supervision_reports/index.html",
                           form=self._form(formdata=None, month=today.strftime("%Y-%m")),
                           districts=_choices(current_user))

    @expose("/d-report")
    def d_report(self):
        jurisdiction = _jurisdiction(request.args.get("jurisdiction"))
        try:
            report = summaries.d_enterprise_report(current_user, jurisdiction)
            db.session.commit()  # the audit entry
        except NotPermitted:
            db.session.rollback()
            not_found()
        return render_template("supervision/d_report.html", report=report)

    def _summary(self, form):
        jurisdiction = _jurisdiction(form.jurisdiction.data)
        month = (form.month.data or "").strip()
        try:
            parse_period(month)
        except InvalidInput:
            form.month.errors = [*form.month.errors, _("应为YYYY-MM格式的月份")]
            return None
        try:
            return summaries.monthly_summary(current_user, month, jurisdiction=jurisdiction)
        except NotPermitted:
            db.session.rollback()
            not_found()

    @expose("/monthly")
    def monthly(self):
        form = self._form(formdata=request.args)
        if not form.month.data:
            return redirect(url_for(".index"))
        summary = self._summary(form)
        if summary is None:
            return self.render("admin/supervision_reports/index.html", form=form,
                               districts=_choices(current_user)), 400
        db.session.commit()  # the audit entry
        return self.render("admin/supervision_reports/monthly.html", summary=summary,
                           figures=[(k, FIGURE_LABELS.get(k, label))
                                    for k, label in summaries.FIGURES], form=form,
                           export_form=self._form(formdata=None, month=summary.month,
                                                  jurisdiction=form.jurisdiction.data))

    @expose("/monthly.xlsx", methods=("POST",))
    def monthly_export(self):
        form = self._form()
        if not form.validate_on_submit():
            return redirect(url_for(".index"))
        summary = self._summary(form)
        if summary is None:
            return self.render("admin/supervision_reports/index.html", form=form,
                               districts=_choices(current_user)), 400
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)
        try:
            summaries.export_monthly_summary(current_user, summary, spool)
            db.session.commit()  # the audit entries, before the file leaves
        except WorkflowError as exc:
            db.session.rollback()
            flash(refusal(exc), "error")
            return redirect(url_for(".index"))
        scope = summary.jurisdictions[0] if len(summary.jurisdictions) == 1 else "city"
        return send_workbook(spool, f"monthly-{summary.month}-{scope}.xlsx")
