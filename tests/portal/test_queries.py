"""No N+1: the lists, search and the CSV run the same number of statements whatever the number
of rows on the page."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event

from credit.extensions import db as _db
from tests.portal.conftest import publish_a, publish_d


@contextlib.contextmanager
def counted():
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)


PATHS = ["/listings/a", "/api/v1/listings?kind=A", "/api/v1/listings.csv?kind=A",
         "/api/v1/search?q=91230800", "/search?q=91230800", "/"]


@pytest.mark.parametrize("path", PATHS)
def test_statements_do_not_grow_with_rows(client, db, world, path):
    publish_a(world, "a")
    db.session.commit()
    client.get(path)  # warm caches (the session's user lookup, etc.)
    with counted() as one:
        assert client.get(path).status_code == 200
    publish_a(world, "a_h")
    publish_d(db, world)
    db.session.commit()
    with counted() as more:
        assert client.get(path).status_code == 200
    assert len(more) == len(one), (path, one, more)
