"""Application factory: ``flask --app wsgi ...`` and ``gunicorn 'wsgi:create_app()'``."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, session
from flask_babel import get_locale

from credit.config import INSTANCE, ROOT, Config, instance_secret_key
from credit.extensions import (
    babel,
    csrf,
    db,
    install_template_gettext,
    limiter,
    login_manager,
    migrate,
)
from credit.pool import ping_after_idle

MIGRATIONS = ROOT / "credit" / "migrations"


def select_locale() -> str:
    """Chinese by default; the visitor's choice (kept in the session) otherwise."""
    chosen = session.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def create_app(config: type | dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    ping_after = app.config["DATABASE_PING_AFTER"]
    if not sqlite and not ping_after:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": True}
    INSTANCE.mkdir(exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key()
    if not app.config.get("AUDIT_KEY"):
        app.config["AUDIT_KEY"] = instance_secret_key("audit_key", "AUDIT_KEY")

    import credit.models  # noqa: F401  (registers the tables)
    import credit.services.risk  # noqa: F401  (grade-change hooks: warning risk scores)
    import credit.workflows.a_publication  # noqa: F401  (grade-change hooks: A withdrawal)
    import credit.workflows.d_listing  # noqa: F401  (grade-change hooks: D case proposal)
    import credit.workflows.honours  # noqa: F401  (grade-change hooks: honours flagged)

    db.init_app(app)
    if not sqlite and ping_after:
        with app.app_context():
            ping_after_idle(db.engine, ping_after)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    from credit.cli import credit_cli

    app.cli.add_command(credit_cli)

    from portal import init_portal

    init_portal(app)

    from admin import init_admin

    init_admin(app)

    @app.context_processor
    def inject_locale() -> dict:
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}

    return app
