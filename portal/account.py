"""Enterprise self-service (``/account``): the signed-in enterprise's own listings,
applications, notices and deadlines, and its side of the workflows.

Each action calls the workflow function itself (which checks the permission again), with the
version the page showed; every workflow error gets a plain message and changes nothing.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from credit.extensions import db
from credit.models import APublicationApplication, DCase, Listing
from credit.services import self_service
from credit.workflows import a_publication, d_listing, repair
from credit.workflows.errors import (
    ConcurrentChange,
    InvalidInput,
    InvalidTransition,
    NotEligible,
    NotPermitted,
    WorkflowError,
)
from portal.forms import AnswerForm, RepairForm, VersionForm

bp = Blueprint("account", __name__, url_prefix="/account")


def enterprise_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.path))
        try:
            self_service.own_enterprise(current_user)
        except NotPermitted:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def _owned(model: type, object_id: int):
    obj = self_service.owned(current_user, model, object_id)
    if obj is None:
        abort(404)
    return obj


def _refused(exc: WorkflowError, messages: dict[type, str]) -> None:
    """Roll back and say why, in the visitor's language, by the error's class."""
    db.session.rollback()
    for cls, message in messages.items():
        if isinstance(exc, cls):
            flash(message, "error")
            return
    if isinstance(exc, ConcurrentChange):
        flash(_("该事项刚刚发生了变化，请查看最新状态后再操作。"), "error")
    elif isinstance(exc, NotPermitted):
        abort(404)
    else:
        flash(_("操作未能完成，请刷新页面后重试。"), "error")


def _done(message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("account.overview"))


@bp.get("")
@enterprise_required
def overview():
    return render_template("account/overview.html", view=self_service.overview(current_user),
                           action=VersionForm())


@bp.post("/a/apply")
@enterprise_required
def apply_a():
    if not VersionForm().validate_on_submit():
        abort(400)
    try:
        a_publication.apply_for_publication(current_user)
    except WorkflowError as exc:
        _refused(exc, {
            NotEligible: _("目前不符合申请条件。符合条件后可以再次申请。"),
            InvalidTransition: _("已有守信公示申请或公示正在进行中，不能重复申请。"),
        })
        return redirect(url_for("account.overview"))
    return _done(_("已提交守信企业公示申请，并记录了您同意公示。"))


@bp.post("/a/<int:app_id>/withdraw")
@enterprise_required
def withdraw_a(app_id: int):
    app = _owned(APublicationApplication, app_id)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        a_publication.withdraw_consent(current_user, app, version=form.version.data)
    except WorkflowError as exc:
        _refused(exc, {InvalidTransition: _("该申请已经结束，无需撤回。")})
        return redirect(url_for("account.overview"))
    return _done(_("已撤回同意：申请已终止，守信公示（如有）已立即撤下。"))


@bp.route("/notices/<int:case_id>", methods=["GET", "POST"])
@enterprise_required
def notice(case_id: int):
    case = _owned(DCase, case_id)
    form = AnswerForm()
    if request.method == "GET":
        form.version.data = case.version
    elif form.validate_on_submit():
        try:
            d_listing.answer_notice(current_user, case, form.text.data,
                                    version=form.version.data)
        except WorkflowError as exc:
            _refused(exc, {
                InvalidTransition: _("陈述申辩期限已过，或该告知已经处理，不能再提交。"),
                InvalidInput: _("请填写陈述申辩内容。"),
            })
            return redirect(url_for("account.notice", case_id=case_id))
        return _done(_("陈述申辩已提交，发布机关将在作出决定前审阅。"))
    view = self_service.overview(current_user)
    return render_template("account/notice.html", case=case, form=form, view=view,
                           records=view.case_records.get(case.id, []))


@bp.route("/listings/<int:listing_id>/repair", methods=["GET", "POST"])
@enterprise_required
def apply_repair(listing_id: int):
    listing = _owned(Listing, listing_id)
    form = RepairForm()
    earliest = repair.earliest_application(listing)
    if form.validate_on_submit():
        try:
            repair.apply_for_repair(current_user, listing, form.statement.data)
        except WorkflowError as exc:
            _refused(exc, {
                InvalidTransition: _("目前不能申请信用修复：公示满一年后（%(day)s起）方可申请，"
                                     "且同一时间只能有一份申请在办理。", day=earliest),
                InvalidInput: _("请填写申请说明。"),
            })
            return redirect(url_for("account.apply_repair", listing_id=listing_id))
        return _done(_("信用修复申请已提交，发布机关应在2个工作日内决定是否受理。"))
    return render_template("account/repair.html", listing=listing, form=form,
                           earliest=earliest, view=self_service.overview(current_user))
