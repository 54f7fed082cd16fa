"""Accounts (city administrator): create, change role, jurisdiction and bound enterprise,
deactivate or reactivate, reset a password. Every act goes through credit.services.accounts,
which checks the right again and writes the audit entry."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_
from sqlalchemy.orm import joinedload

from admin import forms
from admin.archives import EqualsFilter
from admin.views import StaffModelView
from admin.wording import ROLES, workflow_message
from credit.extensions import db
from credit.models import Enterprise, Role, User
from credit.permissions import can_manage_users
from credit.services import accounts
from credit.vocabulary import DISTRICTS
from credit.workflows.errors import WorkflowError

#: The Chinese (or English) words for each account problem the service names by code.
ACCOUNT_PROBLEMS = {
    "password_short": _l("密码至少8个字符"),
    "username_length": _l("用户名为1至80个字符"),
    "username_taken": _l("该用户名已被使用"),
    "jurisdiction_unknown": _l("不是11个辖区之一"),
    "enterprise_for_staff": _l("只有企业账户才绑定企业"),
    "enterprise_missing": _l("企业账户必须绑定一个企业（填写统一社会信用代码）"),
    "jurisdiction_for_enterprise": _l("企业账户没有管辖范围"),
    "enterprise_unknown": _l("没有这个统一社会信用代码的企业"),
    "enterprise_taken": _l("该企业已有账户"),
    "last_admin": _l("这是最后一个有效的市局管理员账户，不能停用或改为其他角色"),
    "self_deactivate": _l("不能停用自己的账户"),
}


def _role_choices():
    return [(r.value, str(ROLES[r.value])) for r in Role]


def _jurisdiction_choices():
    return [("", _("全市")), *[(d, d) for d in DISTRICTS]]


def _show_error(form, exc: accounts.AccountError) -> None:
    message = str(ACCOUNT_PROBLEMS.get(exc.code, exc))
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, message]
    flash(message, "error")


class UserAdmin(StaffModelView):
    column_list = ("username", "name", "role", "jurisdiction", "enterprise", "active")
    column_labels = {"username": _l("用户名"), "name": _l("姓名或单位"), "role": _l("角色"),
                     "jurisdiction": _l("管辖范围"), "enterprise": _l("绑定企业"),
                     "active": _l("有效")}
    column_sortable_list = ("username",)
    column_default_sort = ("username", False)
    column_searchable_list = ("username", "name")
    column_formatters = {
        "role": lambda v, c, m, n: ROLES.get(m.role, m.role),
        "jurisdiction": lambda v, c, m, n: m.jurisdiction or (
            "" if m.role == Role.ENTERPRISE else _("全市")),
        "enterprise": lambda v, c, m, n: f"{m.enterprise.name}（{m.enterprise.uscc}）"
        if m.enterprise else "",
    }
    column_filters = (
        EqualsFilter(User.role, _l("角色"), options=_role_choices),
        EqualsFilter(User.jurisdiction, _l("管辖范围"),
                     options=lambda: [(d, d) for d in DISTRICTS]),
    )
    can_create = True
    can_edit = True
    can_view_details = False  # the edit page shows everything an administrator may see

    def allowed(self, user: User) -> bool:
        return can_manage_users(user)

    def scope(self, query):
        if current_user.jurisdiction is None:
            return query
        return query.outerjoin(Enterprise, Enterprise.id == User.enterprise_id).filter(
            or_(User.jurisdiction == current_user.jurisdiction,
                Enterprise.district == current_user.jurisdiction))

    def get_query(self):
        return super().get_query().options(joinedload(User.enterprise))

    def _account_form(self, form_class, **kwargs):
        form = form_class(**kwargs)
        form.role.choices = forms.choice_list(_role_choices())
        form.jurisdiction.choices = forms.choice_list(_jurisdiction_choices())
        return form

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        form = self._account_form(forms.AccountForm)
        if form.validate_on_submit():
            try:
                user = accounts.add_account(
                    current_user, username=form.username.data, password=form.password.data,
                    role=Role(form.role.data), jurisdiction=form.jurisdiction.data or None,
                    uscc=(form.uscc.data or "").strip().upper() or None,
                    name=(form.name.data or "").strip())
                db.session.commit()
            except accounts.AccountError as exc:
                db.session.rollback()
                _show_error(form, exc)
            except WorkflowError as exc:
                db.session.rollback()
                flash(workflow_message(exc), "error")
            else:
                flash(_("已创建账户%(name)s。", name=user.username), "success")
                return redirect(url_for(".edit_view", id=user.id))
        return self.render("admin/users/form.html", form=form, user=None)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        user = self.get_one(request.args.get("id"))
        if request.method == "POST":
            form = self._account_form(forms.AccountEditForm)
        else:
            form = self._account_form(
                forms.AccountEditForm, formdata=None, obj=user,
                data={"jurisdiction": user.jurisdiction or "",
                      "uscc": user.enterprise.uscc if user.enterprise else ""})
        if request.method == "POST" and form.validate_on_submit():
            try:
                accounts.change_account(
                    current_user, user, role=Role(form.role.data),
                    jurisdiction=form.jurisdiction.data or None,
                    uscc=(form.uscc.data or "").strip().upper() or None,
                    name=form.name.data or "")
                db.session.commit()
            except accounts.AccountError as exc:
                db.session.rollback()
                _show_error(form, exc)
            except WorkflowError as exc:
                db.session.rollback()
                flash(workflow_message(exc), "error")
            else:
                flash(_("已保存。"), "success")
                return redirect(url_for(".edit_view", id=user.id))
        return self.render("admin/users/form.html", form=form, user=user,
                           password_form=forms.PasswordResetForm(formdata=None),
                           active_form=forms.ActivationForm(formdata=None))

    @expose("/password/", methods=("POST",))
    def password(self):
        user = self.get_one(request.args.get("id"))
        form = forms.PasswordResetForm()
        if not form.validate_on_submit():
            flash(_("新密码至少8个字符。"), "error")
        else:
            try:
                accounts.reset_password(current_user, user, form.password.data)
                db.session.commit()
                flash(_("已为%(name)s设置新密码。", name=user.username), "success")
            except accounts.AccountError as exc:
                db.session.rollback()
                flash(str(ACCOUNT_PROBLEMS.get(exc.code, exc)), "error")
        return redirect(url_for(".edit_view", id=user.id))

    @expose("/active/", methods=("POST",))
    def active(self):
        user = self.get_one(request.args.get("id"))
        if forms.ActivationForm().validate_on_submit():
            try:
                accounts.set_account_active(current_user, user, not user.active)
                db.session.commit()
                flash(_("已启用账户。") if user.active else _("已停用账户，该用户将立即退出登录。"),
                      "success")
            except accounts.AccountError as exc:
                db.session.rollback()
                flash(str(ACCOUNT_PROBLEMS.get(exc.code, exc)), "error")
        return redirect(url_for(".edit_view", id=user.id))
