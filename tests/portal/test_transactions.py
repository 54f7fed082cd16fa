"""The public site reads without a transaction; everything that writes keeps one.

A GET of a public page or of the API runs its statements in autocommit mode: no BEGIN, no
ROLLBACK (credit.extensions.read_without_transaction). On PostgreSQL that also keeps the
connection's prepared statements, which psycopg discards on every ROLLBACK.
"""

from __future__ import annotations

import contextlib

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import event

from credit.extensions import READER_SETTINGS, reader_engine
from credit.extensions import db as _db
from credit.services import disclosure
from credit.services.search import search_enterprises
from tests.portal.conftest import login

PUBLIC_READS = ["/", "/search?q=hengtai", "/listings/a", "/api/v1/search?q=hengtai",
                "/api/v1/listings?kind=A", "/feed.atom"]


def autocommits(connection) -> bool:
    """Whether the driver's connection runs every statement on its own, writes included."""
    raw = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite":
        return raw.isolation_level is None
    return raw.autocommit


def in_transaction(connection) -> bool:
    raw = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite":
        return raw.in_transaction
    return raw.info.transaction_status != TransactionStatus.IDLE


def request_context(app, path: str, method: str = "GET"):
    """A request context in an app context of its own, as in a real server."""
    stack = contextlib.ExitStack()
    stack.enter_context(app.app_context())
    stack.enter_context(app.test_request_context(path, method=method))
    app.preprocess_request()
    stack.callback(_db.session.remove)
    stack.callback(app.do_teardown_request)
    return stack


@pytest.mark.parametrize("path", PUBLIC_READS)
def test_public_reads_run_without_a_transaction(app, db, path):
    with request_context(app, path):
        search_enterprises("hengtai")
        disclosure.count_by_kind()
        connection = _db.session.connection()
        assert not in_transaction(connection)
        # PostgreSQL: in autocommit mode (no BEGIN); SQLite's driver opens no transaction
        # for reads in its default mode, which is kept.
        assert autocommits(connection) == (connection.dialect.name == "postgresql")


@pytest.mark.parametrize(("path", "method"), [
    ("/report", "POST"),  # the report form writes
    ("/account/", "GET"),  # the enterprise's own pages are not the public read model
    ("/login", "POST"),
    ("/admin/", "GET"),
])
def test_everything_else_keeps_its_transaction(app, db, path, method):
    with request_context(app, path, method):
        assert not autocommits(_db.session.connection())


def test_the_setting_ends_with_the_request(app, db):
    with app.app_context():
        with app.test_request_context("/search?q=hengtai"):
            app.preprocess_request()
            app.do_teardown_request()
            _db.session.remove()
            assert not autocommits(_db.session.connection())
        _db.session.remove()


def test_a_session_already_in_use_keeps_its_transaction(app, db):
    """A request sharing a session that holds a connection does not open a second one."""
    with app.app_context(), app.test_request_context("/search?q=hengtai"):
        first = _db.session.connection()
        app.preprocess_request()
        assert _db.session.connection() is first
        assert not autocommits(first)
        app.do_teardown_request()
        _db.session.remove()


def test_a_public_read_leaves_the_search_prepared(app, client, db, world):
    """No ROLLBACK ends a public request, so the search statement psycopg prepared on the
    connection is still there for the next request (one a request cost 2-3 ms of planning)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's; run with TEST_DATABASE_URL pointing "
                    "at PostgreSQL")
    with Pool(reader_engine()) as pool:
        assert client.get("/search", query_string={"q": "hengtai"}).status_code == 200
    raw = pool.back[-1]
    try:
        statements = [row[0] for row in raw.execute(
            "SELECT statement FROM pg_prepared_statements").fetchall()]
    finally:
        raw.rollback()
    assert any("walked" in s for s in statements), statements


def test_signed_in_enterprise_reads_the_public_pages_the_same_way(app, client, db, world):
    """The session's user is loaded on the same autocommit connection as the page."""
    assert login(client, "ent_a").status_code == 302
    page = client.get("/search", query_string={"q": "hengtai"})
    assert page.status_code == 200
    assert "退出" in page.get_data(as_text=True)


class Pool:
    """The engine's pool checkouts and checkins during a block, by driver connection."""

    def __init__(self, engine):
        self.engine, self.out, self.back = engine, [], []

    def __enter__(self):
        event.listen(self.engine, "checkout", self._checkout)
        event.listen(self.engine, "checkin", self._checkin)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "checkout", self._checkout)
        event.remove(self.engine, "checkin", self._checkin)

    def _checkout(self, dbapi_connection, record, proxy):
        self.out.append(dbapi_connection)

    def _checkin(self, dbapi_connection, record):
        self.back.append(dbapi_connection)


def test_an_anonymous_search_reads_on_one_pooled_connection(app, client, db, world):
    """No Session around the search and its listings: one reading connection, in autocommit
    mode on PostgreSQL (from a pool of its own, so the app's connections are not touched)."""
    seen = []
    original = _db.engine.dialect.name
    reader = reader_engine()
    assert (reader is db.engine) == (original == "sqlite")

    with Pool(reader) as pool, Pool(db.engine) as app_pool:
        from credit.extensions import driver_connection

        with request_context(app, "/search?q=hengtai"):
            raw, dialect = driver_connection()
            assert dialect == original
            assert driver_connection()[0] is raw  # the same for the whole request
            search_enterprises("hengtai")
            disclosure.listings_for_many(["91230803MA1C2D3E4K"])
            assert not _db.session.registry.has()  # no Session was made
            if dialect == "postgresql":
                seen.append(raw.autocommit)
        assert len(pool.out) == len(pool.back) == 1
    if original == "postgresql":
        assert seen == [True]
        assert pool.back[0].autocommit is True  # its pool keeps it that way
        assert app_pool.out == []


def test_reading_connections_carry_the_search_settings(app, db):
    """PostgreSQL: a reading connection is opened with the settings the search needs; the
    app's own connections keep the server's."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("planner settings are PostgreSQL's; run with TEST_DATABASE_URL pointing at "
                    "PostgreSQL")
    names = list(READER_SETTINGS)
    query = "SELECT " + ", ".join(f"current_setting('{name}')" for name in names)
    defaults = {"enable_seqscan": "on", "plan_cache_mode": "auto"}
    with reader_engine().connect() as connection:
        shown = dict(zip(names, connection.exec_driver_sql(query).one(), strict=True))
    assert shown == READER_SETTINGS
    with db.engine.connect() as connection:
        shown = dict(zip(names, connection.exec_driver_sql(query).one(), strict=True))
    assert {name: shown[name] for name in defaults} == defaults


def test_reading_connections_keep_the_apps_connection_options(app, db):
    """Options the deployment gives the app's connections (here a statement timeout) reach
    the reading connections too, beside the search's settings."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("planner settings are PostgreSQL's; run with TEST_DATABASE_URL pointing at "
                    "PostgreSQL")
    from credit.config import TestConfig
    from wsgi import create_app

    options = {"connect_args": {"options": "-c statement_timeout=4321"}, "pool_size": 2}
    other = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                        "SQLALCHEMY_ENGINE_OPTIONS": options})
    with other.app_context():
        reader = reader_engine()
        try:
            with reader.connect() as connection:
                shown = connection.exec_driver_sql(
                    "SELECT current_setting('statement_timeout'), "
                    "current_setting('enable_seqscan')").one()
            assert tuple(shown) == ("4321ms", "off")
            assert reader.pool.size() == 2
        finally:
            _db.engine.dispose()


def test_a_public_search_is_one_prepared_statement(app, db, world, monkeypatch):
    """On its reading connection the search needs no settings around it: no pipeline, and
    its generic plan from the first run."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's; run with TEST_DATABASE_URL pointing "
                    "at PostgreSQL")
    import psycopg

    from credit.extensions import driver_connection

    def no_pipeline(self, *args, **kwargs):
        raise AssertionError("a pipeline on a reading connection")

    monkeypatch.setattr(psycopg.Connection, "pipeline", no_pipeline)
    plans = ("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
             "WHERE statement LIKE '%walked%'")
    name = world.e["a"].name
    with request_context(app, "/search?q=x"):
        raw, _dialect = driver_connection()
        # The connection may hold statements of earlier searches: count what these add.
        before = {row[0]: row[1:] for row in raw.execute(plans).fetchall()}
        for _ in range(7):  # more than psycopg's threshold for preparing a statement
            assert name in [e.name for e in search_enterprises(name[2:6]).items]
        added = [(generic - before.get(sql, (0, 0))[0], custom - before.get(sql, (0, 0))[1])
                 for sql, generic, custom in raw.execute(plans).fetchall()
                 if (generic, custom) != before.get(sql)]
    assert added == [(7, 0)]


def test_reading_connections_close_with_the_app_engine(app, db):
    reader = reader_engine()
    if reader is db.engine:
        pytest.skip("SQLite reads on the app's own engine")
    reader.raw_connection().close()
    assert reader.pool.checkedin() >= 1
    db.engine.dispose()
    assert reader.pool.checkedin() == 0


def test_a_search_page_is_one_checkout(app, client, db, world):
    with Pool(reader_engine()) as pool, Pool(db.engine) as app_pool:
        page = client.get("/search", query_string={"q": "hengtai"})
    assert page.status_code == 200
    assert len(pool.out) == len(pool.back) == 1
    if app_pool.engine is not pool.engine:
        assert app_pool.out == []


def test_the_reader_goes_back_when_the_request_fails(app, db, world, monkeypatch):
    from credit.services import search

    def broken(*args, **kwargs):
        search.driver_connection()
        raise RuntimeError("boom")

    monkeypatch.setattr("portal.views.search_enterprises", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        with Pool(reader_engine()) as pool:
            response = app.test_client().get("/search", query_string={"q": "hengtai"})
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    assert len(pool.out) == len(pool.back) == 1


def test_a_session_in_use_lends_its_own_connection(app, db, world):
    """When the session already holds a connection (a signed-in visitor's account was loaded
    through it), the statements run on it: a request never holds two connections."""
    from credit.extensions import driver_connection

    with request_context(app, "/search?q=hengtai"):
        connection = _db.session.connection()
        raw, _dialect = driver_connection()
        assert raw is connection.connection.driver_connection
