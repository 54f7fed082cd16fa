"""Flask extensions, created unbound and bound to the app in ``create_app``."""

import weakref
from typing import Any

from flask import current_app, g, has_app_context
from flask_babel import Babel, get_translations
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as _FlaskSession
from flask_wtf.csrf import CSRFProtect
from jinja2 import pass_eval_context
from markupsafe import Markup
from sqlalchemy import Engine, MetaData, create_engine, event
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


class Session(_FlaskSession):
    """Flask-SQLAlchemy's session, which reads without a transaction when asked to
    (:func:`read_without_transaction`)."""

    def get_bind(self, *args, **kwargs):
        bind = super().get_bind(*args, **kwargs)
        if has_app_context() and g.get("_read_without_transaction"):
            return _autocommit(bind)
        return bind


_AUTOCOMMIT_ENGINES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _autocommit(bind):
    """A PostgreSQL engine in autocommit mode (the same pool; its connections are reset when
    returned). Anything else as it is: a connection keeps its own transaction, and SQLite
    reads open none (pysqlite begins a transaction before a write only), where switching the
    mode would cost more than it saves."""
    if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        return bind
    try:
        return _AUTOCOMMIT_ENGINES[bind]
    except KeyError:
        return _AUTOCOMMIT_ENGINES.setdefault(
            bind, bind.execution_options(isolation_level="AUTOCOMMIT"))


def read_without_transaction() -> None:
    """Let this request's database session read without a transaction: each statement on its
    own, with no BEGIN and no ROLLBACK around them (PostgreSQL's autocommit mode).

    For requests that only read (the public site's GET requests). It saves two round trips a
    request, and it keeps the connection's prepared statements, which psycopg discards on
    every ROLLBACK: the public search is prepared once a connection instead of once a request
    (docs/search.md). It does nothing once the session holds a connection, so a request
    never gets a second one; :func:`end_read_without_transaction` undoes it.
    """
    registry = db.session.registry  # not db.session(): a request may not need a session
    if not registry.has() or registry().get_transaction() is None:
        g._read_without_transaction = True


def end_read_without_transaction(_exc=None) -> None:
    g.pop("_read_without_transaction", None)
    reader = g.pop("_reader", None)
    if reader is not None:
        _return_reader(reader)


def driver_connection() -> tuple[Any, str]:
    """The database driver's own connection (sqlite3's or psycopg's) and the dialect's name,
    for a statement a service writes and runs itself (the public search, the listings of a
    page of enterprises).

    In a request that reads without a transaction (:func:`read_without_transaction`) while
    its session holds no connection, it is a reading connection (:func:`reader_engine`) with
    no Session around it, kept for the request and returned when the request ends: the
    Session, its transaction and SQLAlchemy's Connection around one statement had cost a
    tenth of a search page (``docs/benchmarks.md``). Otherwise it is the session's own
    connection, in the session's transaction, so that the statement sees what the session
    wrote.
    """
    if has_app_context() and g.get("_read_without_transaction"):
        reader = g.get("_reader")
        if reader is None:
            registry = db.session.registry
            if not registry.has() or registry().get_transaction() is None:
                reader = g._reader = _Reader(reader_engine())
        if reader is not None:
            return reader.driver, reader.dialect
    connection = db.session.connection()
    return connection.connection.driver_connection, connection.dialect.name


#: PostgreSQL settings of the reading connections (:func:`reader_engine`), which the public
#: search needs (``docs/search.md``): sequential scans off (GIN is the way to rare matches),
#: no JIT (compiling would cost more than running), a prepared statement's generic plan from
#: its first run, and random reads priced as what they are for an index kept in memory (at
#: the default price the walk of a district's first ids took the primary key, its heap in id
#: order, and filtered the district: ten times the rows of a county that (district, id) reads).
READER_SETTINGS = {"enable_seqscan": "off", "jit": "off",
                   "plan_cache_mode": "force_generic_plan", "random_page_cost": "1.1"}

_READER_ENGINES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def reader_engine() -> Engine:
    """The engine whose connections serve reads without a transaction (:func:`driver_connection`).

    On PostgreSQL a pool of its own beside the app's (the same database and options): each
    connection is opened in autocommit mode with :data:`READER_SETTINGS` as its session's
    settings, so a public search is one prepared statement, where on a connection shared with
    the rest of the app it must set them and set them back around itself every time (a
    pipeline of three statements, a sixth of the search's own work in the app). Their
    pings follow ``DATABASE_PING_AFTER`` as the app's do (``credit/pool.py``). Disposed with
    the app's engine. Anything else: the app's engine itself.
    """
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return engine
    try:
        return _READER_ENGINES[engine]
    except KeyError:
        pass
    from credit.pool import ping_after_idle

    options = dict(current_app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    connect_args = dict(options.pop("connect_args", {}))
    settings = " ".join(f"-c {name}={value}" for name, value in READER_SETTINGS.items())
    connect_args["options"] = " ".join(filter(None, (connect_args.get("options"), settings)))
    reader = create_engine(engine.url, isolation_level="AUTOCOMMIT", connect_args=connect_args,
                           **options)
    if ping_after := current_app.config["DATABASE_PING_AFTER"]:
        ping_after_idle(reader, ping_after)
    event.listen(engine, "engine_disposed", lambda _engine: reader.dispose())
    return _READER_ENGINES.setdefault(engine, reader)


def has_reader_settings(raw: Any) -> bool:
    """Whether ``raw`` is this request's reading connection on PostgreSQL, opened with
    :data:`READER_SETTINGS`."""
    reader = g.get("_reader") if has_app_context() else None
    return reader is not None and reader.driver is raw and reader.dialect == "postgresql"


class _Reader:
    """A pooled connection checked out for one request's reads (:func:`driver_connection`)."""

    __slots__ = ("fairy", "driver", "dialect")

    def __init__(self, engine: Engine) -> None:
        self.fairy = engine.raw_connection()
        self.driver = self.fairy.driver_connection
        self.dialect = engine.dialect.name


def _return_reader(reader: _Reader) -> None:
    """Back to its pool, which rolls back whatever is open (nothing, in autocommit mode) and
    drops a connection that fails to."""
    reader.fairy.close()


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
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

    @pass_eval_context
    def gettext(eval_ctx, string: str, **variables):
        # What Jinja's newstyle ``_()`` does (escaped in an escaping template, always
        # %-formatted, so "%%" reads "%"), in one call where Jinja's takes three through the
        # context: a page has a dozen, and the detour was a tenth of a search page's rendering.
        translated = _request_translations().ugettext(string)
        if eval_ctx.autoescape:
            translated = Markup(translated)
        # Most strings have neither variables nor "%": formatting them would change nothing
        # (Markup's % is costly: it wraps every value to escape it).
        return translated % variables if variables or "%" in translated else translated

    app.jinja_env.globals.update(gettext=gettext, _=gettext)
