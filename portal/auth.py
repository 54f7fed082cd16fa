"""Sign in and out, for staff and enterprise accounts."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from credit.services.accounts import authenticate
from portal.forms import LoginForm
from portal.safety import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            fallback = url_for("admin.index") if user.is_staff else url_for("account.overview")
            return redirect(safe_next(request.args.get("next"), fallback))
        flash(_("用户名或密码不正确。"), "error")
    return render_template("portal/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("portal.home"))
