"""Create or upgrade the database schema through the Alembic migrations."""

from __future__ import annotations

from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy.exc import OperationalError

from credit.extensions import db


def schema_problem() -> str | None:
    """Why the database cannot be used as it is (not created, or an older schema), or None."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    try:
        with db.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        return f"cannot open the database {db.engine.url!r}: {exc.orig}"
    if current is None:
        return "the database has no schema yet"
    if current != head:
        return f"the database schema is at revision {current}, the code needs {head}"
    return None


def upgrade_schema() -> str | None:
    """Bring the schema to the newest revision (a no-op when it is there); return it."""
    upgrade()
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
