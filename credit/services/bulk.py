"""Set-based writes for batches: one executemany statement per batch, not one per row.

The ORM's bulk helpers fall back to a statement per row on some mappings; these go straight to
Core, which batches on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, update

from credit.extensions import db


def insert_rows(table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        db.session.execute(insert(table), rows)


def update_rows(table: Table, rows: Sequence[dict[str, Any]], key: str = "id") -> None:
    """Update rows by primary key; every dict holds the key and the same set of columns."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != key]
    statement = (
        update(table)
        .where(table.c[key] == bindparam("_key"))
        .values({c: bindparam(c) for c in columns})
    )
    db.session.execute(statement, [{**{c: r[c] for c in columns}, "_key": r[key]} for r in rows])
