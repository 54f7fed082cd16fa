"""Random inspection plans (双随机抽查), the inspector pool and the supervision settings.

Every screen is a thin call of ``credit.services.plans`` / ``plan_workbook`` / ``inspectors`` /
``settings``: load through the scoped readers (404 outside the user's jurisdiction), check the
screen's role (403), call the verb with the version the page showed, commit once, and say what
happened (or why not) in a flash message.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import time
from io import BytesIO

from flask import current_app, flash, redirect, request, send_file, session, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from admin.forms import REQUIRED, MultiCheckboxField, VersionedForm, choice_list
from admin.supervision_words import (
    CHECK_TYPES,
    PLAN_KINDS,
    PLAN_STATES,
    RESULTS,
    SEED_SOURCES,
    SUBJECTS,
    refusal,
)
from admin.views import AdminForm, StaffView, as_int, forbidden, not_found, requires
from admin.wording import problem_text
from credit import clock
from credit.config import INSTANCE
from credit.extensions import db
from credit.models import Enterprise, Grade, Inspector, PlanItem, PlanStratum, User
from credit.permissions import (
    can_enter_inspection_result,
    can_manage_settings,
    can_plan_inspections,
    can_publish_any,
    can_read_archives,
    can_record_any,
)
from credit.services import inspectors as inspector_service
from credit.services import plan_workbook, plans
from credit.services import settings as settings_service
from credit.services.inspectors import names_of
from credit.services.workbook import WorkbookTooLarge, check_archive_size
from credit.vocabulary import DISTRICTS
from credit.workflows.errors import ConcurrentChange, InvalidTransition, WorkflowError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOADS = INSTANCE / "uploads"
KEEP_SECONDS = 24 * 3600
PAGE = 50


def _district_choices(user: User, *, whole_city: bool = False) -> list[tuple[str, str]]:
    if user.jurisdiction:
        return [(user.jurisdiction, user.jurisdiction)]
    head = [("", _("全市"))] if whole_city else []
    return head + [(d, d) for d in DISTRICTS]


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 100_000))
    except ValueError:
        return 1


def _flash_form_errors(form) -> None:
    for field in form:
        for error in field.errors:
            text = field.label.text if field.label else field.name
            flash(_("%(field)s：%(error)s", field=text, error=error), "error")


# -- forms ----------------------------------------------------------------------------------


class PlanForm(AdminForm):
    period = StringField(_l("抽查期间"), validators=[DataRequired(message=REQUIRED)],
                         render_kw={"placeholder": "YYYY-MM"},
                         description=_l("本月或以后12个月内的月份，格式YYYY-MM。"))
    jurisdictions = MultiCheckboxField(_l("辖区"), choices=[],
                                       validators=[DataRequired(message=REQUIRED)])
    kind = RadioField(_l("计划类型"), choices=choice_list(PLAN_KINDS.items()), default="routine",
                      validators=[InputRequired(message=REQUIRED)])
    seed = StringField(_l("随机种子（可选）"), validators=[Optional(), Length(max=plans.SEED_MAX)],
                       description=_l("留空时系统生成128位随机数。如需给定，请使用事先公开的数（例如某日的彩票开奖号码）。"))
    note = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)],
                         render_kw={"rows": 2})


class StepForm(VersionedForm):
    """A plan step that needs only a confirmation (draw)."""


class CancelForm(VersionedForm):
    reason = TextAreaField(_l("取消理由"), validators=[DataRequired(message=REQUIRED),
                                                   Length(max=2000)], render_kw={"rows": 2})


class CloseForm(VersionedForm):
    note = TextAreaField(_l("办结说明（可选）"), validators=[Optional(), Length(max=2000)],
                         render_kw={"rows": 2})


class VerifyForm(AdminForm):
    """Repeat the draw (read only); a POST so that a crawler never starts one."""


class ExportForm(AdminForm):
    jurisdiction = SelectField(_l("辖区"), choices=[], validate_choice=False)


class UploadForm(AdminForm):
    file = FileField(_l("填好结果的检查名单（.xlsx）"),
                     validators=[FileRequired(_l("请选择文件"))])


class ConfirmUploadForm(AdminForm):
    """The import step: the checked file's token travels in the session."""


class ResultForm(AdminForm):
    check_type = RadioField(_l("检查类型"), choices=choice_list(CHECK_TYPES.items()),
                            default="inspection", validators=[InputRequired(message=REQUIRED)])
    subject = SelectField(_l("抽查对象（监督抽查时）"),
                          choices=choice_list([("", "—"), *SUBJECTS.items()]),
                          validators=[Optional()])
    checked_on = DateField(_l("检查日期"), validators=[InputRequired(message=REQUIRED)],
                           render_kw={"placeholder": "YYYY-MM-DD"})
    result = RadioField(_l("检查结果"), choices=choice_list(RESULTS.items()),
                        validators=[InputRequired(message=REQUIRED)])
    ref = StringField(_l("文书编号（可选）"), validators=[Optional(), Length(max=100)],
                      description=_l("留空时系统编号为SJ-期间-计划-序号。"))
    note = TextAreaField(_l("备注"), validators=[Optional(), Length(max=1000)],
                         render_kw={"rows": 2})


RESULT_FIELDS = {"check_type": _l("检查类型"), "result": _l("检查结果"),
                 "subject": _l("抽查对象"), "checked_on": _l("检查日期"), "ref": _l("文书编号"),
                 "note": _l("备注")}
PLAN_FIELDS = {"period": _l("抽查期间"), "jurisdiction": _l("辖区"), "kind": _l("计划类型"),
               "seed": _l("随机种子")}

_PLACE = re.compile(r"^sheet '(?P<sheet>[^']+)'(?:, row (?P<row>\d+))?"
                    r"(?:, column (?P<col>[A-Z]+)(?: \((?P<name>[^)]*)\))?)?: (?P<detail>.*)$")


def problem_lines(problems: list[str]) -> list[tuple[str, str, str]]:
    """(where, what, the service's own words) for each problem of a refused workbook."""
    lines = []
    for text in problems:
        match = _PLACE.match(text)
        if not match:
            lines.append((_("文件"), problem_text(text), text))
            continue
        where = _("工作表“%(s)s”", s=match["sheet"])
        if match["row"]:
            where += " " + _("第%(r)s行", r=match["row"])
        if match["col"]:
            where += " " + _("%(c)s列", c=match["col"])
            if match["name"]:
                where += f"（{match['name']}）"
        lines.append((where, problem_text(match["detail"]), text))
    return lines


def send_workbook(spool, name: str):
    """Send a workbook written to a spooled file: from memory when it stayed there (the file is
    closed at once), else the file itself."""
    spool.seek(0)
    if not getattr(spool, "_rolled", True):
        data = spool.read()
        spool.close()
        return send_file(BytesIO(data), as_attachment=True, download_name=name, mimetype=XLSX)
    return send_file(spool, as_attachment=True, download_name=name, mimetype=XLSX)


def _clean_old_uploads() -> None:
    if not UPLOADS.is_dir():
        return
    limit = time.time() - KEEP_SECONDS
    for path in UPLOADS.glob("*.plan.xlsx"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


# -- plans ----------------------------------------------------------------------------------


class PlanAdmin(StaffView):
    """List, create, draw, verify, cancel, close, export, results."""

    def allowed(self, user: User) -> bool:
        return can_read_archives(user)

    # lists and pages

    @expose("/")
    def index(self):
        state = request.args.get("state") or None
        if state not in PLAN_STATES:
            state = None
        page = _page_number()
        rows = plans.plans_for(current_user, state=state, limit=PAGE + 1,
                               offset=(page - 1) * PAGE)
        return self.render("admin/plans/index.html", plans=rows[:PAGE],
                           more=len(rows) > PAGE, page=page, state=state, states=PLAN_STATES,
                           kinds=PLAN_KINDS, may_plan=can_publish_any(current_user))

    def _plan(self, plan_id):
        plan = plans.get_plan(current_user, as_int(plan_id))
        if plan is None:
            not_found()
        return plan

    def _plan_form(self, **kwargs) -> PlanForm:
        form = PlanForm(**kwargs)
        form.jurisdictions.choices = choice_list(_district_choices(current_user))
        if current_user.jurisdiction and not form.jurisdictions.data:
            form.jurisdictions.data = [current_user.jurisdiction]
        return form

    @expose("/new", methods=("GET", "POST"))
    @requires(can_publish_any)
    def create(self):
        if request.method == "GET":
            today = clock.today()
            form = self._plan_form(formdata=None, period=f"{today.year:04d}-{today.month:02d}")
            return self.render("admin/plans/create.html", form=form)
        form = self._plan_form()
        if not form.validate_on_submit():
            _flash_form_errors(form)
            return self.render("admin/plans/create.html", form=form)
        created = []

        def act():
            created.append(plans.create_plan(
                current_user, period=form.period.data.strip(),
                jurisdictions=form.jurisdictions.data, kind=form.kind.data,
                seed=form.seed.data or None, note=form.note.data or None))

        try:
            act()
            db.session.commit()
        except WorkflowError as exc:
            db.session.rollback()
            flash(refusal(exc, PLAN_FIELDS), "error")
            return self.render("admin/plans/create.html", form=form)
        plan = created[0]
        flash(_("已创建抽查计划%(id)d，随机种子已固定：%(seed)s。现在可以抽取。", id=plan.id,
                seed=plan.seed), "success")
        return redirect(url_for(".plan", item_id=plan.id))

    def _plan_page(self, plan, *, verification=None, cancel_form=None, close_form=None,
                   upload=None, status=200):
        user = current_user
        page = _page_number()
        strata = db.session.execute(
            select(PlanStratum.jurisdiction, PlanStratum.grade, PlanStratum.ratio,
                   PlanStratum.eligible, PlanStratum.selected, PlanStratum.digest)
            .where(PlanStratum.plan_id == plan.id).order_by(PlanStratum.id)).all()
        if user.jurisdiction:
            strata = [s for s in strata if s.jurisdiction == user.jurisdiction]
        query = (plans.items_query(user, plan)
                 .add_columns(Enterprise.name, Grade.grade)
                 .join(Enterprise, Enterprise.id == PlanItem.enterprise_id)
                 .outerjoin(Grade, Grade.enterprise_id == PlanItem.enterprise_id)
                 .limit(PAGE + 1).offset((page - 1) * PAGE))
        rows = db.session.execute(query).all()
        badges = sorted({b for r in rows[:PAGE] for b in r[0].inspectors})
        may_plan = can_plan_inspections(user, plan.jurisdictions)
        steps = {}
        if may_plan and plan.state == "created":
            steps["draw"] = StepForm(version=plan.version, formdata=None)
        if may_plan and plan.state in ("created", "drawn"):
            steps["cancel"] = cancel_form or CancelForm(version=plan.version, formdata=None)
        if may_plan and plan.state == "drawn":
            steps["close"] = close_form or CloseForm(version=plan.version, formdata=None)
        drawn = plan.drawn_at is not None
        export_form = None
        if plan.state in ("drawn", "closed"):
            export_form = ExportForm(formdata=None)
            covered = [j for j in plan.jurisdictions
                       if user.jurisdiction is None or j == user.jurisdiction]
            choices = ([("", _("计划全部辖区"))] if user.jurisdiction is None else []) + [
                (j, j) for j in covered]
            export_form.jurisdiction.choices = choice_list(choices)
        may_enter = plan.state == "drawn" and can_record_any(user)
        return self.render(
            "admin/plans/plan.html", plan=plan, strata=strata, rows=rows[:PAGE],
            more=len(rows) > PAGE, page=page, names=names_of(badges), steps=steps,
            verify_form=VerifyForm(formdata=None) if drawn else None,
            verification=verification, export_form=export_form,
            upload_form=UploadForm(formdata=None) if may_enter else None,
            confirm_form=ConfirmUploadForm(formdata=None), upload=upload,
            may_enter=may_enter, entered=plans.results_entered(plan) if drawn else 0,
            kinds=PLAN_KINDS, states=PLAN_STATES, results=RESULTS, check_types=CHECK_TYPES,
            seed_sources=SEED_SOURCES,
        ), status

    @expose("/<item_id>")
    def plan(self, item_id):
        return self._plan_page(self._plan(item_id))

    def _step(self, plan, form, act, done, **page):
        if not form.validate_on_submit():
            _flash_form_errors(form)
            return self._plan_page(plan, **page)
        stale = form.version.data != plan.version
        try:
            act(form)
            db.session.commit()
        except WorkflowError as exc:
            db.session.rollback()
            if stale and isinstance(exc, InvalidTransition):
                exc = ConcurrentChange(str(exc))
            flash(refusal(exc, PLAN_FIELDS), "error")
            return redirect(url_for(".plan", item_id=plan.id))
        flash(done() if callable(done) else done, "success")
        return redirect(url_for(".plan", item_id=plan.id))

    @expose("/<item_id>/draw", methods=("POST",))
    @requires(can_publish_any)
    def draw(self, item_id):
        plan = self._plan(item_id)
        return self._step(plan, StepForm(),
                          lambda f: plans.draw_plan(current_user, plan, version=f.version.data),
                          lambda: _("已抽取：%(n)d家企业（符合条件%(e)d家）。"
                                    "抽取过程已记入审计日志。",
                                    n=plan.selected_count or 0, e=plan.eligible_count or 0))

    @expose("/<item_id>/verify", methods=("POST",))
    def verify(self, item_id):
        plan = self._plan(item_id)
        if not VerifyForm().validate_on_submit():
            return redirect(url_for(".plan", item_id=plan.id))
        try:
            result = plans.verify_plan(current_user, plan)
        except WorkflowError as exc:
            db.session.rollback()
            flash(refusal(exc), "error")
            return redirect(url_for(".plan", item_id=plan.id))
        db.session.rollback()  # read only
        plan = self._plan(item_id)
        return self._plan_page(plan, verification=result)

    @expose("/<item_id>/cancel", methods=("POST",))
    @requires(can_publish_any)
    def cancel(self, item_id):
        plan = self._plan(item_id)
        return self._step(plan, CancelForm(),
                          lambda f: plans.cancel_plan(current_user, plan, reason=f.reason.data,
                                                      version=f.version.data),
                          _("计划已取消，取消理由已记录。"), cancel_form=CancelForm())

    @expose("/<item_id>/close", methods=("POST",))
    @requires(can_publish_any)
    def close(self, item_id):
        plan = self._plan(item_id)
        return self._step(plan, CloseForm(),
                          lambda f: plans.close_plan(current_user, plan,
                                                     note=f.note.data or None,
                                                     version=f.version.data),
                          _("计划已办结。"), close_form=CloseForm())

    @expose("/<item_id>/export.xlsx", methods=("POST",))
    def export(self, item_id):
        plan = self._plan(item_id)
        form = ExportForm()
        form.jurisdiction.choices = choice_list([("", "")] + [(j, j) for j in DISTRICTS])
        if not form.validate_on_submit():
            return redirect(url_for(".plan", item_id=plan.id))
        jurisdiction = form.jurisdiction.data or None
        if jurisdiction and current_user.jurisdiction not in (None, jurisdiction):
            not_found()
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)
        try:
            plan_workbook.export_plan(current_user, plan, spool, jurisdiction=jurisdiction)
            db.session.commit()  # the audit entry, before the file leaves
        except WorkflowError as exc:
            db.session.rollback()
            flash(refusal(exc), "error")
            return redirect(url_for(".plan", item_id=plan.id))
        name = f"plan-{plan.id}-{plan.period}{'-' + jurisdiction if jurisdiction else ''}.xlsx"
        return send_workbook(spool, name)

    # results from the returned workbook: checked first (nothing written), then all or nothing

    def _upload_path(self, token: str):
        return UPLOADS / f"{token}.plan.xlsx"

    @expose("/<item_id>/results/check", methods=("POST",))
    @requires(can_record_any)
    def results_check(self, item_id):
        plan = self._plan(item_id)
        form = UploadForm()
        if not form.validate_on_submit():
            _flash_form_errors(form)
            return redirect(url_for(".plan", item_id=plan.id))
        _clean_old_uploads()
        UPLOADS.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(16)
        path = self._upload_path(token)
        form.file.data.save(path)
        limit = current_app.config["IMPORT_MAX_BYTES"]
        try:
            if path.stat().st_size > limit:
                raise WorkbookTooLarge("upload")
            check_archive_size(str(path), max_uncompressed=limit * 20)  # zip bombs
        except WorkbookTooLarge:
            path.unlink(missing_ok=True)
            flash(_("文件太大。"), "error")
            return redirect(url_for(".plan", item_id=plan.id))
        except ValueError:
            path.unlink(missing_ok=True)
            flash(_("无法读取该文件：它不是Excel工作簿（.xlsx）。"), "error")
            return redirect(url_for(".plan", item_id=plan.id))
        name = os.path.basename(form.file.data.filename or "results.xlsx")
        try:
            summary = plan_workbook.import_results(current_user, plan, str(path))
        except plan_workbook.ResultsRefused as exc:
            db.session.rollback()
            path.unlink(missing_ok=True)
            plan = self._plan(item_id)
            return self._plan_page(plan, upload={"name": name,
                                                 "problems": problem_lines(exc.problems)})
        except WorkflowError as exc:
            db.session.rollback()
            path.unlink(missing_ok=True)
            flash(refusal(exc, RESULT_FIELDS), "error")
            return redirect(url_for(".plan", item_id=plan.id))
        finally:
            db.session.rollback()  # a dry run: nothing of it stays
        session["plan_results_upload"] = {"token": token, "plan": plan.id, "name": name,
                                          "user": current_user.id}
        plan = self._plan(item_id)
        return self._plan_page(plan, upload={"name": name, "ready": summary})

    @expose("/<item_id>/results/run", methods=("POST",))
    @requires(can_record_any)
    def results_run(self, item_id):
        plan = self._plan(item_id)
        pending = session.get("plan_results_upload") or {}
        path = self._upload_path(pending.get("token", "-"))
        if (not ConfirmUploadForm().validate_on_submit() or pending.get("plan") != plan.id
                or pending.get("user") != current_user.id or not path.is_file()):
            flash(_("没有待导入的文件，或文件已过期。请重新上传并检查。"), "error")
            return redirect(url_for(".plan", item_id=plan.id))
        session.pop("plan_results_upload", None)
        try:
            summary = plan_workbook.import_results(current_user, plan, str(path))
            db.session.commit()
        except plan_workbook.ResultsRefused as exc:
            db.session.rollback()
            plan = self._plan(item_id)
            return self._plan_page(plan, upload={"name": pending["name"],
                                                 "problems": problem_lines(exc.problems)})
        except WorkflowError as exc:
            db.session.rollback()
            flash(refusal(exc, RESULT_FIELDS), "error")
            return redirect(url_for(".plan", item_id=plan.id))
        finally:
            path.unlink(missing_ok=True)
        flash(_("已导入：新录入%(n)d条结果（已录入未变%(u)d条，未填写%(b)d条），企业已重新评级。",
                n=summary.entered, u=summary.unchanged, b=summary.blank), "success")
        return redirect(url_for(".plan", item_id=plan.id))

    # one result in a form

    def _item(self, item_id) -> PlanItem:
        item = db.session.get(PlanItem, as_int(item_id))
        if item is None or plans.get_plan(current_user, item.plan_id) is None:
            not_found()
        if current_user.jurisdiction not in (None, item.jurisdiction):
            not_found()
        return item

    def _item_page(self, item, form, status=200):
        grade = db.session.get(Grade, item.enterprise_id)
        return self.render("admin/plans/item.html", item=item, plan=item.plan, form=form,
                           grade=grade, names=names_of(list(item.inspectors)),
                           may_enter=(item.result is None and item.plan.state == "drawn"
                                      and can_enter_inspection_result(current_user,
                                                                      item.enterprise)),
                           results=RESULTS, check_types=CHECK_TYPES, subjects=SUBJECTS), status

    @expose("/item/<item_id>", methods=("GET",))
    def item(self, item_id):
        item = self._item(item_id)
        return self._item_page(item, ResultForm(formdata=None, checked_on=clock.today()))

    @expose("/item/<item_id>", methods=("POST",))
    @requires(can_record_any)
    def item_result(self, item_id):
        item = self._item(item_id)
        form = ResultForm()
        if not form.validate_on_submit():
            return self._item_page(item, form)
        before = db.session.scalar(select(Grade.grade).where(
            Grade.enterprise_id == item.enterprise_id))
        result = plans.Result(
            check_type=form.check_type.data, result=form.result.data,
            checked_on=form.checked_on.data,
            subject=(form.subject.data or None) if form.check_type.data == "spot_check" else None,
            ref=(form.ref.data or "").strip() or None, note=(form.note.data or "").strip() or None)
        try:
            plans.record_result(current_user, item, result)
            db.session.commit()
        except WorkflowError as exc:
            db.session.rollback()
            flash(refusal(exc, RESULT_FIELDS), "error")
            item = self._item(item_id)
            return self._item_page(item, form)
        after = db.session.scalar(select(Grade.grade).where(
            Grade.enterprise_id == item.enterprise_id))
        if before != after:
            flash(_("已录入检查结果并记入档案。企业信用等级由%(a)s变为%(b)s。",
                    a=before or "–", b=after or "–"), "success")
        else:
            flash(_("已录入检查结果并记入档案。企业信用等级仍为%(b)s。", b=after or "–"), "success")
        return redirect(url_for(".item", item_id=item.id))


# -- the inspector pool ----------------------------------------------------------------------


class InspectorForm(AdminForm):
    badge_no = StringField(_l("执法证号"), validators=[DataRequired(message=REQUIRED),
                                                   Length(max=40)])
    name = StringField(_l("姓名"), validators=[DataRequired(message=REQUIRED), Length(max=100)])
    jurisdiction = SelectField(_l("辖区"), choices=[])
    unit = StringField(_l("所在单位或科室"), validators=[Optional(), Length(max=200)])


class InspectorEditForm(AdminForm):
    name = StringField(_l("姓名"), validators=[DataRequired(message=REQUIRED), Length(max=100)])
    jurisdiction = SelectField(_l("辖区"), choices=[])
    unit = StringField(_l("所在单位或科室"), validators=[Optional(), Length(max=200)])


class ActiveForm(AdminForm):
    reason = StringField(_l("理由"), validators=[DataRequired(message=REQUIRED),
                                               Length(max=500)])


INSPECTOR_FIELDS = {"badge_no": _l("执法证号"), "name": _l("姓名"), "jurisdiction": _l("辖区"),
                    "unit": _l("所在单位或科室"), "reason": _l("理由")}


class InspectorAdmin(StaffView):
    """执法检查人员名录库: read by internal readers, kept by publishers and city_admin."""

    def allowed(self, user: User) -> bool:
        return can_read_archives(user)

    def _form(self, form_class, **kwargs):
        form = form_class(**kwargs)
        form.jurisdiction.choices = choice_list(_district_choices(current_user))
        return form

    @expose("/")
    def index(self):
        jurisdiction = request.args.get("jurisdiction") or None
        if jurisdiction not in DISTRICTS:
            jurisdiction = None
        rows = inspector_service.list_inspectors(current_user, jurisdiction=jurisdiction)
        return self.render("admin/inspectors/index.html", rows=rows,
                           jurisdiction=jurisdiction,
                           districts=[d for d, _ in _district_choices(current_user)],
                           may_keep=can_publish_any(current_user))

    def _inspector(self, item_id) -> Inspector:
        inspector = inspector_service.get_inspector(current_user, as_int(item_id))
        if inspector is None:
            not_found()
        return inspector

    @expose("/new", methods=("GET", "POST"))
    @requires(can_publish_any)
    def create(self):
        if request.method == "GET":
            return self.render("admin/inspectors/form.html",
                               form=self._form(InspectorForm, formdata=None), inspector=None)
        form = self._form(InspectorForm)
        if form.validate_on_submit():
            try:
                inspector_service.add_inspector(
                    current_user, badge_no=form.badge_no.data, name=form.name.data,
                    jurisdiction=form.jurisdiction.data, unit=form.unit.data or None)
                db.session.commit()
                flash(_("已加入名录库：%(name)s（%(badge)s）。", name=form.name.data.strip(),
                        badge=form.badge_no.data.strip()), "success")
                return redirect(url_for(".index"))
            except WorkflowError as exc:
                db.session.rollback()
                flash(refusal(exc, INSPECTOR_FIELDS), "error")
        else:
            _flash_form_errors(form)
        return self.render("admin/inspectors/form.html", form=form, inspector=None)

    @expose("/<item_id>", methods=("GET", "POST"))
    def edit(self, item_id):
        if request.method == "POST" and not can_publish_any(current_user):
            forbidden()
        inspector = self._inspector(item_id)
        may_keep = can_plan_inspections(current_user, [inspector.jurisdiction])
        if request.method == "POST":
            form = self._form(InspectorEditForm)
            if form.validate_on_submit():
                try:
                    inspector_service.update_inspector(
                        current_user, inspector, name=form.name.data,
                        unit=form.unit.data or "", jurisdiction=form.jurisdiction.data)
                    db.session.commit()
                    flash(_("已保存。"), "success")
                    return redirect(url_for(".edit", item_id=inspector.id))
                except WorkflowError as exc:
                    db.session.rollback()
                    flash(refusal(exc, INSPECTOR_FIELDS), "error")
                    inspector = self._inspector(item_id)
            else:
                _flash_form_errors(form)
        else:
            form = self._form(InspectorEditForm, formdata=None, obj=inspector)
        return self.render("admin/inspectors/form.html", form=form, inspector=inspector,
                           may_keep=may_keep, active_form=ActiveForm(formdata=None))

    @expose("/<item_id>/active", methods=("POST",))
    @requires(can_publish_any)
    def active(self, item_id):
        inspector = self._inspector(item_id)
        form = ActiveForm()
        if not form.validate_on_submit():
            _flash_form_errors(form)
            return redirect(url_for(".edit", item_id=inspector.id))
        turn_on = not inspector.active
        try:
            inspector_service.set_inspector_active(current_user, inspector, turn_on,
                                                   reason=form.reason.data)
            db.session.commit()
        except WorkflowError as exc:
            db.session.rollback()
            flash(refusal(exc, INSPECTOR_FIELDS), "error")
            return redirect(url_for(".edit", item_id=inspector.id))
        flash(_("已恢复，此人重新参加抽取。") if turn_on else _("已停用，此人不再参加抽取。"),
              "success")
        return redirect(url_for(".edit", item_id=inspector.id))


# -- settings --------------------------------------------------------------------------------


class SettingsForm(AdminForm):
    ratio_A = StringField(_l("A级抽查比例"), validators=[DataRequired(message=REQUIRED)])
    ratio_B = StringField(_l("B级抽查比例"), validators=[DataRequired(message=REQUIRED)])
    ratio_C = StringField(_l("C级抽查比例"), validators=[DataRequired(message=REQUIRED)])
    ratio_D = StringField(_l("D级抽查比例"), validators=[DataRequired(message=REQUIRED)])
    team_size = IntegerField(_l("每家企业的检查人员数"),
                             validators=[InputRequired(message=REQUIRED),
                                         NumberRange(min=2, max=5,
                                                     message=_l("应为2到5之间的整数"))])


_RATIO_PROBLEM = re.compile(r"^ratio ([ABCD]): (.*)$")


class SettingsAdmin(StaffView):
    """The inspection ratios per grade and the team size (city_admin)."""

    def allowed(self, user: User) -> bool:
        return can_manage_settings(user)

    def _page(self, form, status=200):
        return self.render("admin/supervision_settings.html", form=form), status

    @expose("/", methods=("GET",))
    def index(self):
        ratios = settings_service.get_setting(settings_service.INSPECTION_RATIOS)
        form = SettingsForm(formdata=None, team_size=settings_service.team_size(),
                            **{f"ratio_{g}": ratios[g] for g in settings_service.GRADES})
        return self._page(form)

    @expose("/", methods=("POST",))
    def save(self):
        form = SettingsForm()
        if not form.validate_on_submit():
            return self._page(form, 400)
        ratios = {g: (getattr(form, f"ratio_{g}").data or "").strip()
                  for g in settings_service.GRADES}
        try:
            settings_service.set_inspection_ratios(current_user, ratios)
            settings_service.set_setting(current_user, settings_service.TEAM_SIZE,
                                         form.team_size.data)
            db.session.commit()
        except WorkflowError as exc:
            db.session.rollback()
            match = _RATIO_PROBLEM.match(str(exc))
            if match:
                field = getattr(form, f"ratio_{match[1]}")
                field.errors = [*field.errors, _problem_words(match[2])]
            else:
                form.team_size.errors = [*form.team_size.errors, refusal(exc)]
            return self._page(form, 400)
        flash(_("已保存。新的比例和人数从下一个新建的计划起生效，已建计划不受影响。"), "success")
        return redirect(url_for(".index"))


def _problem_words(detail: str) -> str:
    if "more than 4 decimal places" in detail:
        return _("最多4位小数")
    if "is not a number" in detail or "give a decimal" in detail:
        return _("不是数字，请填写如0.15的小数")
    return problem_text(detail)


__all__ = ["InspectorAdmin", "PlanAdmin", "SettingsAdmin"]
