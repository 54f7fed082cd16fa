"""Set-based writes for batches: one statement (or one COPY) per batch, never one per row.

SQLite gets a Core executemany. PostgreSQL gets COPY: psycopg's executemany runs the INSERT once
per row on the server, and multi-row VALUES spends its time parsing placeholders; COPY streams
the rows in one command, inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, bindparam, insert, update

from credit.extensions import db


def insert_rows(table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows that all have the same keys; columns left out take their server defaults
    (so every column with a Python-side default must be given)."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(insert(table), rows)
        return
    from psycopg.types.json import Json

    names = list(rows[0])
    # COPY applies only the database's defaults: a Python-side one left out would differ
    # from SQLite, so callers must give those columns.
    missing = [c.name for c in table.columns if c.default is not None and c.name not in names]
    if missing:
        raise ValueError(f"insert into {table.name} must give {', '.join(missing)}")
    as_json = [isinstance(table.c[name].type, JSON) for name in names]
    columns = ", ".join(connection.dialect.identifier_preparer.quote(n) for n in names)
    name = connection.dialect.identifier_preparer.format_table(table)
    with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(
        f"COPY {name} ({columns}) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row([Json(row[n]) if j and row[n] is not None else row[n]
                            for n, j in zip(names, as_json, strict=True)])


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


def end_batch() -> None:
    """Between batches: write what is still pending, then forget the batch's objects, so that
    memory stays bounded and no change made during the batch is dropped unwritten."""
    db.session.flush()
    db.session.expunge_all()
