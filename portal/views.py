"""Public pages."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from portal.safety import safe_next

bp = Blueprint("portal", __name__)


@bp.get("/")
def home():
    return render_template("portal/home.html")


@bp.get("/lang/<code>")
def set_language(code: str):
    """Switch the interface language, then go back where the visitor was."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("portal.home")))
