"""Create or upgrade the database schema through the Alembic migrations."""

from __future__ import annotations

from alembic.migration import MigrationContext
from flask_migrate import upgrade

from credit.extensions import db


def upgrade_schema() -> str | None:
    """Bring the schema to the newest revision (a no-op when it is there); return it."""
    upgrade()
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
