"""Sign in and out, for staff and enterprise accounts."""

from __future__ import annotations

import math

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from credit.extensions import db
from credit.services.accounts import (
    authenticate,
    forget_login_failures,
    login_wait,
    note_login_failure,
)
from portal.forms import LoginForm
from portal.safety import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        username, address = form.username.data.strip(), request.remote_addr or ""
        wait = login_wait(username, address)
        if wait:
            flash(_("登录失败次数过多，请%(minutes)d分钟后再试。",
                    minutes=max(1, math.ceil(wait / 60))), "error")
            return render_template("portal/login.html", form=form), 429
        user = authenticate(username, form.password.data)
        if user is not None:
            forget_login_failures(user.username)
            db.session.commit()
            login_user(user)
            fallback = url_for("admin.index") if user.is_staff else url_for("account.overview")
            return redirect(safe_next(request.args.get("next"), fallback))
        note_login_failure(username, address)
        db.session.commit()
        flash(_("用户名或密码不正确。"), "error")
    return render_template("portal/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("portal.home"))
