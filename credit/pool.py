"""When pooled PostgreSQL connections are tested before use.

SQLAlchemy's ``pool_pre_ping`` tests a connection every time the pool hands it out: one more
round trip on every request, 0.2-0.3 ms of the app server's CPU on a public page (measured in
the test client) besides the server's and the wait. A connection that was in use a moment ago is
almost certainly still there; one that sat in the pool a while may have been closed by a
restarted or failed-over server, a firewall or an idle timeout. So a connection is tested when
it has been idle ``DATABASE_PING_AFTER`` seconds or more, with the dialect's own ping.

What that leaves: when the server goes away while connections are busy, a request that picks
up one of them within the interval fails once; SQLAlchemy then sees the disconnect and
replaces every connection of the pool, as it does without any ping. ``DATABASE_PING_AFTER=0``
tests every connection before every use instead.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, event, exc

_IDLE_SINCE = "idle_since"


def ping_after_idle(engine: Engine, seconds: float) -> None:
    """Test the engine's pooled connections before use once idle ``seconds`` or more."""

    @event.listens_for(engine, "checkin")
    def idle_from_now(dbapi_connection, record) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, proxy) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since < seconds:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool closes this connection and hands out another (up to three tries).
            raise exc.DisconnectionError(f"pooled connection failed its ping: {error}") from error
