"""Fixtures: one app and schema per session, a clean database for every test.

The database is SQLite (a file under instance/) unless TEST_DATABASE_URL names another, such as
the local PostgreSQL server; `.ci/run` runs the suite on both.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from credit.config import TestConfig
from credit.extensions import db as _db
from wsgi import create_app

# The bureau's sample archive and the grades it must produce, kept with the tests.
EXAMPLES = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def app():
    app = create_app(TestConfig)
    with app.app_context():
        url = _db.engine.url
        if url.get_backend_name() == "sqlite" and url.database:
            _db.engine.dispose()
            Path(url.database).unlink(missing_ok=True)
        else:
            # Whatever an earlier run left (perhaps an older schema, which the current models
            # cannot drop table by table): start from an empty schema.
            with _db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        from credit.services.schema import upgrade_schema

        upgrade_schema()
        yield app
        _db.session.remove()
        _db.engine.dispose()


def _clear_tables() -> None:
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def db(app):
    """The database, emptied after the test."""
    yield _db
    _db.session.rollback()
    _db.session.remove()
    _clear_tables()
    app.config["CREDIT_TODAY"] = None


@pytest.fixture
def today(app, db):
    """Pin the domain's "today" (default 2026-10-15, the sample's evaluation date)."""

    def pin(value: str | dt.date = "2026-10-15") -> dt.date:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
        app.config["CREDIT_TODAY"] = day
        return day

    return pin


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (its own ``g`` and database session), as in a
    real server, even though the test holds an app context of its own."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app, db):
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def cli(app, db):
    """Run a `flask credit ...` command in-process; returns click's result."""
    runner = app.test_cli_runner()

    def invoke(*args: str):
        result = runner.invoke(args=["credit", *args], catch_exceptions=False)
        _db.session.remove()
        return result

    return invoke


@pytest.fixture(scope="session")
def sample_archive() -> dict:
    path = EXAMPLES / "sample-archive.json"
    assert path.is_file(), f"the sample archive is missing: {path}"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def sample_expected() -> dict:
    return json.loads((EXAMPLES / "sample-expected.json").read_text(encoding="utf-8"))


@pytest.fixture
def write_json(tmp_path):
    """Write a document to a temporary .json file and return its path."""

    def write(document, name: str = "archive.json") -> Path:
        path = tmp_path / name
        text_ = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
        path.write_text(text_, encoding="utf-8")
        return path

    return write
