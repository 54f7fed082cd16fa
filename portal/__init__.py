"""The public disclosure site, the open-data API and the enterprise self-service."""

from __future__ import annotations

from flask import Flask, Response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

#: No inline script or style anywhere on the public site: everything comes from static/.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


#: The blueprints whose GET requests only read the public read model.
READ_ONLY_BLUEPRINTS = frozenset({"portal", "api"})


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _is_admin() -> bool:
    return request.path == "/admin" or request.path.startswith("/admin/")


def init_portal(app: Flask) -> None:
    from credit.extensions import end_read_without_transaction, read_without_transaction
    from portal.account import bp as account_bp
    from portal.api import bp as api_bp
    from portal.api import error_response
    from portal.auth import bp as auth_bp
    from portal.chrome import register as register_chrome
    from portal.present import register_filters
    from portal.views import bp as views_bp

    register_filters(app)
    register_chrome(app)
    app.json.ensure_ascii = False  # the API answers readable UTF-8, not \u escapes
    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(auth_bp)

    @app.before_request
    def public_reads_without_transaction() -> None:
        # The public pages and the API read and never write on GET: no transaction around
        # their statements (credit.extensions.read_without_transaction says what it saves).
        if request.method in ("GET", "HEAD") and request.blueprint in READ_ONLY_BLUEPRINTS:
            read_without_transaction()

    app.teardown_request(end_read_without_transaction)

    @app.after_request
    def security_headers(response: Response) -> Response:
        if not _is_admin():  # the staff backend sets its own
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        """Plain answers for every HTTP error: JSON on the API, a page elsewhere."""
        status = exc.code or 500
        if _is_admin() and status not in (404, 429):
            return exc
        if _is_api():
            code = {404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}.get(
                status, "invalid_parameter" if status < 500 else "internal_error")
            message = {404: "no such address or object",
                       429: f"too many requests: limit {exc.description}; try again later"}.get(
                status, exc.description or exc.name)
            response = error_response(status, code, message)
        else:
            titles = {400: _("请求有误"), 403: _("无权访问"), 404: _("页面不存在"),
                      405: _("请求方式不正确"), 413: _("提交的内容过长"),
                      429: _("请求过于频繁")}
            messages = {404: _("您要找的企业或页面不存在，或统一社会信用代码有误。"),
                        413: _("提交的内容超过了允许的长度，请精简后重试。"),
                        429: _("您的请求过于频繁，请稍后再试。")}
            response = Response(render_template(
                "portal/error.html", status=status, title=titles.get(status, exc.name),
                message=messages.get(status, "")), status=status)
        if status == 429 and (retry := getattr(exc, "retry_after", None)):
            response.headers["Retry-After"] = str(retry)
        for name, value in (exc.get_headers() if status == 405 else []):
            if name.lower() == "allow":
                response.headers[name] = value
        return response

    @app.errorhandler(500)
    def server_error(exc):
        if _is_api():
            return error_response(500, "internal_error", "the server failed; try again later")
        return render_template("portal/error.html", status=500, title=_("服务暂时不可用"),
                               message=_("请稍后再试。")), 500
