"""Pooled PostgreSQL connections are tested before use once they have been idle a while
(credit/pool.py): a connection the server dropped meanwhile is replaced, not used."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, exc, text

from credit.pool import ping_after_idle


@pytest.fixture
def engine(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("pooled connections are tested on PostgreSQL only; run with "
                    "TEST_DATABASE_URL pointing at PostgreSQL")
    engine = create_engine(url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT pg_backend_pid()"))


def drop(engine, pid: int) -> None:
    """The server ends the pooled connection's backend, as a restart would."""
    other = create_engine(engine.url, poolclass=None)
    with other.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()
    time.sleep(0.2)  # the backend is gone once the signal is handled


def test_an_idle_connection_the_server_dropped_is_replaced(engine):
    ping_after_idle(engine, 0.05)
    first = backend_pid(engine)
    drop(engine, first)
    time.sleep(0.1)  # idle longer than the interval: tested, found dead, replaced
    assert backend_pid(engine) != first


@pytest.fixture
def pings(engine, monkeypatch) -> list:
    """The connections the engine's dialect pings, in order."""
    pinged = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pinged.append(c) or real_ping(c))
    return pinged


def test_a_connection_in_use_a_moment_ago_is_not_tested(engine, pings):
    ping_after_idle(engine, 3600)
    for _ in range(3):
        backend_pid(engine)
    assert pings == []
    # What the interval leaves: the server drops a connection that was busy a moment ago; the
    # next request on it fails once, and the pool then replaces its connections.
    first = backend_pid(engine)
    drop(engine, first)
    with pytest.raises(exc.OperationalError):
        backend_pid(engine)
    assert backend_pid(engine) != first


def test_a_connection_idle_long_enough_is_tested_once_a_checkout(engine, pings):
    ping_after_idle(engine, 0.05)
    backend_pid(engine)
    time.sleep(0.1)
    backend_pid(engine)
    assert len(pings) == 1
