"""Yellow-card warnings (黄牌警告) and the honours register.

Thin screens over ``credit.services.risk``, ``credit.workflows.warning_notices`` and
``credit.workflows.honours``: the scoped readers load (404 outside the jurisdiction), the
named permission decides the buttons, the workflow acts with the version the page showed.
"""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from admin.forms import COMMENT_MAX, REQUIRED, VersionedForm, choice_list
from admin.supervision_words import (
    HONOUR_ACTIONS,
    HONOUR_FLAGS,
    HONOUR_KINDS,
    HONOUR_STATES,
    WARNING_STATES,
    refusal,
)
from admin.views import (
    AdminForm,
    StaffView,
    as_int,
    commit_or_flash,
    forbidden,
    not_found,
    requires,
)
from admin.wording import rule_text
from credit import clock
from credit.extensions import db
from credit.models import Enterprise, Grade, User
from credit.permissions import (
    can_decide_honour,
    can_issue_warning,
    can_manage_honours,
    can_manage_honours_any,
    can_publish_any,
    can_read_archives,
)
from credit.services import risk
from credit.services.scoping import scope_to_jurisdiction
from credit.workflows import honours as honour_flow
from credit.workflows import warning_notices as warning_flow
from credit.workflows.errors import WorkflowError

PAGE = 50


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


def _names(enterprise_ids) -> dict[int, Enterprise]:
    """The enterprises of a page's rows, in one query."""
    ids = set(enterprise_ids)
    if not ids:
        return {}
    return {e.id: e for e in db.session.scalars(select(Enterprise).where(Enterprise.id.in_(ids)))}


def scoped_enterprise(enterprise_id) -> Enterprise:
    """An enterprise in the user's jurisdiction (404 otherwise)."""
    enterprise = db.session.scalar(scope_to_jurisdiction(
        select(Enterprise).where(Enterprise.id == as_int(enterprise_id)), current_user,
        Enterprise.district))
    if enterprise is None:
        not_found()
    return enterprise


def _act(act, done: str, *, stale: bool = False, fields=None) -> bool:
    return commit_or_flash(act, done, stale=stale, explain=lambda exc: refusal(exc, fields))


# -- warnings -------------------------------------------------------------------------------


class IssueForm(AdminForm):
    expectations = TextAreaField(_l("整改要求"), validators=[DataRequired(message=REQUIRED),
                                                         Length(max=2000)],
                                 render_kw={"rows": 4})
    deadline = DateField(_l("整改期限（最后一天）"), validators=[InputRequired(message=REQUIRED)],
                         render_kw={"placeholder": "YYYY-MM-DD"})


class FollowUpForm(AdminForm):
    done_on = DateField(_l("日期"), validators=[Optional()],
                        render_kw={"placeholder": "YYYY-MM-DD"},
                        description=_l("留空为今天。"))
    note = TextAreaField(_l("跟进情况（走访、电话、文书）"),
                         validators=[DataRequired(message=REQUIRED), Length(max=2000)],
                         render_kw={"rows": 3})


class CloseWarningForm(VersionedForm):
    rectified = RadioField(_l("整改结果"), choices=choice_list([("yes", _l("已整改")),
                                                           ("no", _l("未整改"))]),
                           validators=[InputRequired(message=REQUIRED)])
    note = TextAreaField(_l("核查情况"), validators=[DataRequired(message=REQUIRED),
                                                 Length(max=COMMENT_MAX)], render_kw={"rows": 3})


class WithdrawForm(VersionedForm):
    note = TextAreaField(_l("撤回理由"), validators=[DataRequired(message=REQUIRED),
                                                 Length(max=COMMENT_MAX)], render_kw={"rows": 2})


WARNING_FIELDS = {"the rectification expected": _l("整改要求"),
                  "the follow-up note": _l("跟进情况"), "the outcome note": _l("核查情况"),
                  "the reason": _l("撤回理由")}


class WarningAdmin(StaffView):
    """The ranked C enterprises, the warnings, each warning's page and its printed notice."""

    def allowed(self, user: User) -> bool:
        return can_read_archives(user)

    @expose("/")
    def index(self):
        state = request.args.get("state") or None
        if state not in WARNING_STATES:
            state = None
        overdue = request.args.get("overdue") == "1"
        page = _page_number()
        rows = warning_flow.warnings_for(current_user, state=None if overdue else state,
                                         overdue=True if overdue else None,
                                         limit=PAGE + 1, offset=(page - 1) * PAGE)
        today = clock.today()
        return self.render("admin/warnings/index.html", rows=rows[:PAGE],
                           more=len(rows) > PAGE, page=page, state=state, overdue=overdue,
                           states=WARNING_STATES, today=today,
                           firms=_names(w.enterprise_id for w in rows[:PAGE]),
                           is_overdue=warning_flow.is_overdue)

    @expose("/candidates")
    def candidates(self):
        page = _page_number()
        fresh_only = request.args.get("open") == "0"
        today = clock.today()
        rows = risk.warning_candidates(current_user, as_of=today,
                                       without_open_warning=fresh_only,
                                       limit=PAGE + 1, offset=(page - 1) * PAGE)
        return self.render("admin/warnings/candidates.html", rows=rows[:PAGE],
                           more=len(rows) > PAGE, page=page, fresh_only=fresh_only,
                           offset=(page - 1) * PAGE, rule_text=rule_text,
                           may_issue=can_publish_any(current_user), today=today)

    @expose("/issue/<item_id>", methods=("GET", "POST"))
    @requires(can_publish_any)
    def issue(self, item_id):
        enterprise = scoped_enterprise(item_id)
        grade = db.session.get(Grade, enterprise.id)
        today = clock.today()
        if request.method == "GET":
            form = IssueForm(formdata=None, deadline=today + dt.timedelta(days=30))
        else:
            form = IssueForm()
            if form.validate_on_submit():
                issued = []
                if _act(lambda: issued.append(warning_flow.issue_warning(
                        current_user, enterprise, expectations=form.expectations.data,
                        deadline=form.deadline.data)),
                        _("已发出黄牌警告。"), fields=WARNING_FIELDS):
                    return redirect(url_for(".warning", item_id=issued[0].id))
            else:
                _flash_form_errors(form)
        return self.render("admin/warnings/issue.html", enterprise=enterprise, grade=grade,
                           form=form, rule_text=rule_text,
                           score=risk.current_score(enterprise.id, today),
                           held=warning_flow.open_warning(enterprise))

    def _warning(self, item_id):
        warning = warning_flow.get_warning(current_user, as_int(item_id))
        if warning is None:
            not_found()
        return warning

    def _page(self, warning, **override):
        forms = {}
        if warning.state == "issued" and can_issue_warning(current_user, warning.enterprise):
            forms["follow_up"] = override.get("follow_up") or FollowUpForm(formdata=None)
            forms["close"] = override.get("close") or CloseWarningForm(
                version=warning.version, formdata=None)
            forms["withdraw"] = override.get("withdraw") or WithdrawForm(
                version=warning.version, formdata=None)
        return self.render("admin/warnings/warning.html", warning=warning, forms=forms,
                           states=WARNING_STATES, rule_text=rule_text, today=clock.today(),
                           overdue=warning_flow.is_overdue(warning))

    @expose("/<item_id>")
    def warning(self, item_id):
        return self._page(self._warning(item_id))

    @expose("/<item_id>/follow-up", methods=("POST",))
    @requires(can_publish_any)
    def follow_up(self, item_id):
        warning = self._warning(item_id)
        form = FollowUpForm()
        if not form.validate_on_submit():
            _flash_form_errors(form)
            return self._page(warning, follow_up=form)
        _act(lambda: warning_flow.add_follow_up(current_user, warning, note=form.note.data,
                                                done_on=form.done_on.data),
             _("已记录跟进情况。"), fields=WARNING_FIELDS)
        return redirect(url_for(".warning", item_id=warning.id))

    def _finish(self, item_id, form, act, done):
        warning = self._warning(item_id)
        if not form.validate_on_submit():
            _flash_form_errors(form)
            return self._page(warning)
        _act(lambda: act(warning, form), done, stale=form.version.data != warning.version,
             fields=WARNING_FIELDS)
        return redirect(url_for(".warning", item_id=warning.id))

    @expose("/<item_id>/close", methods=("POST",))
    @requires(can_publish_any)
    def close(self, item_id):
        return self._finish(item_id, CloseWarningForm(),
                            lambda w, f: warning_flow.close_warning(
                                current_user, w, rectified=f.rectified.data == "yes",
                                note=f.note.data, version=f.version.data),
                            _("黄牌警告已办结。"))

    @expose("/<item_id>/withdraw", methods=("POST",))
    @requires(can_publish_any)
    def withdraw(self, item_id):
        return self._finish(item_id, WithdrawForm(),
                            lambda w, f: warning_flow.withdraw_warning(
                                current_user, w, note=f.note.data, version=f.version.data),
                            _("黄牌警告已撤回。"))

    @expose("/<item_id>/notice")
    def notice(self, item_id):
        warning = self._warning(item_id)
        try:
            doc = warning_flow.notice_document(current_user, warning)
            db.session.commit()  # printing is logged
        except WorkflowError:
            db.session.rollback()
            forbidden()
        return render_template("supervision/warning_notice.html", doc=doc)


# -- honours --------------------------------------------------------------------------------


class HonourForm(AdminForm):
    kind = SelectField(_l("荣誉类别"), choices=choice_list(HONOUR_KINDS.items()))
    title = StringField(_l("荣誉名称"), validators=[DataRequired(message=REQUIRED),
                                                 Length(max=200)],
                        description=_l("例如：黑龙江省名牌产品（产品名称）"))
    awarded_by = StringField(_l("授予机关"), validators=[DataRequired(message=REQUIRED),
                                                      Length(max=200)])
    awarded_on = DateField(_l("授予日期"), validators=[InputRequired(message=REQUIRED)],
                           render_kw={"placeholder": "YYYY-MM-DD"})
    expires_on = DateField(_l("有效期至（可选）"), validators=[Optional()],
                           render_kw={"placeholder": "YYYY-MM-DD"})
    certificate_no = StringField(_l("证书编号（可选）"), validators=[Optional(), Length(max=100)])


class DecideForm(VersionedForm):
    action = RadioField(_l("处理决定"), choices=[], validators=[InputRequired(message=REQUIRED)])
    note = TextAreaField(_l("理由"), validators=[DataRequired(message=REQUIRED),
                                               Length(max=COMMENT_MAX)], render_kw={"rows": 3})


HONOUR_FIELDS = {"kind": _l("荣誉类别"), "title": _l("荣誉名称"), "awarded_by": _l("授予机关"),
                 "awarded_on": _l("授予日期"), "expires_on": _l("有效期至"),
                 "certificate_no": _l("证书编号"), "action": _l("处理决定")}

_DECISIONS = {"active": ("suspend", "revoke", "keep"),
              "suspended": ("reinstate", "revoke", "keep")}
DECISION_WORDS = {"suspend": _l("暂停"), "revoke": _l("撤销"), "reinstate": _l("恢复"),
                  "keep": _l("维持不变（说明理由）")}


def _decide_form(honour, **kwargs) -> DecideForm:
    form = DecideForm(**kwargs)
    actions = [a for a in _DECISIONS.get(honour.state, ())
               if a != "keep" or honour.flag is not None]
    form.action.choices = choice_list((a, DECISION_WORDS[a]) for a in actions)
    return form


class HonourAdmin(StaffView):
    """Flagged honours (the decisions to take) and each honour's page with its history."""

    def allowed(self, user: User) -> bool:
        return can_read_archives(user)

    @expose("/")
    def index(self):
        flag = request.args.get("flag") or None
        if flag not in HONOUR_FLAGS:
            flag = None
        page = _page_number()
        rows = honour_flow.flagged_honours(current_user, flag=flag, limit=PAGE + 1,
                                           offset=(page - 1) * PAGE)
        return self.render("admin/honours/index.html", rows=rows[:PAGE], more=len(rows) > PAGE,
                           page=page, flag=flag, flags=HONOUR_FLAGS, kinds=HONOUR_KINDS,
                           states=HONOUR_STATES,
                           firms=_names(h.enterprise_id for h in rows[:PAGE]))

    def _honour(self, item_id):
        honour = honour_flow.get_honour(current_user, as_int(item_id))
        if honour is None:
            not_found()
        return honour

    def _page(self, honour, decide=None):
        form = None
        if honour.state in _DECISIONS and can_decide_honour(current_user, honour.enterprise):
            form = decide or _decide_form(honour, version=honour.version, formdata=None)
            if not form.action.choices:
                form = None
        return self.render("admin/honours/honour.html", honour=honour, form=form,
                           kinds=HONOUR_KINDS, states=HONOUR_STATES, flags=HONOUR_FLAGS,
                           actions=HONOUR_ACTIONS)

    @expose("/<item_id>")
    def honour(self, item_id):
        return self._page(self._honour(item_id))

    @expose("/<item_id>/decide", methods=("POST",))
    @requires(can_publish_any)
    def decide(self, item_id):
        honour = self._honour(item_id)
        form = _decide_form(honour)
        if not form.validate_on_submit():
            _flash_form_errors(form)
            return self._page(honour, decide=form)
        _act(lambda: honour_flow.decide_honour(current_user, honour, form.action.data,
                                               note=form.note.data, version=form.version.data),
             _("已记录处理决定：%(a)s。", a=DECISION_WORDS[form.action.data]),
             stale=form.version.data != honour.version, fields=HONOUR_FIELDS)
        return redirect(url_for(".honour", item_id=honour.id))

    @expose("/new/<item_id>", methods=("GET", "POST"))
    @requires(can_manage_honours_any)
    def register(self, item_id):
        enterprise = scoped_enterprise(item_id)
        if not can_manage_honours(current_user, enterprise):
            forbidden()
        if request.method == "GET":
            form = HonourForm(formdata=None)
        else:
            form = HonourForm()
            if form.validate_on_submit():
                made = []
                if _act(lambda: made.append(honour_flow.register_honour(
                        current_user, enterprise, kind=form.kind.data, title=form.title.data,
                        awarded_by=form.awarded_by.data, awarded_on=form.awarded_on.data,
                        expires_on=form.expires_on.data,
                        certificate_no=form.certificate_no.data or None)),
                        _("已登记荣誉。"), fields=HONOUR_FIELDS):
                    if made[0].flag:
                        flash(_("该企业目前为C或D级，这项荣誉已标记待处理。"), "warning")
                    return redirect(url_for("enterprises.details_view", id=enterprise.id)
                                    + "#honours")
            else:
                _flash_form_errors(form)
        return self.render("admin/honours/form.html", enterprise=enterprise, form=form)


def honours_section(user: User, enterprise: Enterprise) -> dict:
    """What the enterprise page shows of the honours register."""
    return {"rows": honour_flow.honours_of(user, enterprise),
            "may_add": can_manage_honours(user, enterprise),
            "kinds": HONOUR_KINDS, "states": HONOUR_STATES, "flags": HONOUR_FLAGS}
