"""The public disclosure site and the enterprise self-service."""

from flask import Flask


def init_portal(app: Flask) -> None:
    from portal.auth import bp as auth_bp
    from portal.views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(auth_bp)
