"""Flask extensions, created unbound and bound to the app in ``create_app``."""

from flask import g
from flask_babel import Babel, get_translations
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so that Alembic migrations work the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
login_manager = LoginManager()
csrf = CSRFProtect()
# Limits are declared on the routes; counts live in RATELIMIT_STORAGE_URI (memory by default:
# one process; give several workers or machines a shared store such as Redis).
limiter = Limiter(key_func=get_remote_address)


def _request_translations():
    """Flask-Babel's ``get_translations()``, looked up once per request.

    Templates call it for every translated string (a search page has about a hundred), and
    each lookup walks the context, the domain and the locale again: about a fifth of a page's
    time. It is kept on Flask-Babel's own per-request namespace, under the name its
    ``refresh()`` and ``force_locale()`` reset, so a change of language still takes effect.
    """
    try:
        namespace = g._flask_babel
    except (AttributeError, RuntimeError):  # first use in this request, or no context
        return get_translations()
    cached = getattr(namespace, "babel_translations", None)
    if cached is None:
        cached = namespace.babel_translations = get_translations()
    return cached


def install_template_gettext(app) -> None:
    """Give the templates' ``_()`` the per-request translations (call after babel.init_app)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
