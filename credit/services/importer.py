"""Load archives into the database: validate everything first, then write in batches.

A refused file writes nothing. An accepted file is written inside the caller's transaction
(the CLI commits once at the end), so a failure half way leaves the database as it was.
Loading the same file twice changes nothing: unchanged rows are not touched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from flask import current_app
from sqlalchemy import insert, select

from credit.extensions import db
from credit.models import Enterprise, GradeTrigger, Record
from credit.names import pinyin_columns
from credit.services import audit
from credit.services.bulk import insert_rows, update_rows
from credit.services.exchange import (
    ENTERPRISE_COLUMNS,
    RECORD_COLUMNS,
    Problems,
    enterprise_values,
    iter_enterprises,
    record_values,
    validate_file,
)
from credit.services.grading import regrade


class InvalidArchive(Exception):
    """The file was refused; ``problems`` names every error with its place."""

    def __init__(self, problems: Problems):
        super().__init__(f"{len(problems)} problem(s) in the archive")
        self.problems = problems


@dataclass
class ImportResult:
    enterprises: int = 0
    enterprises_added: int = 0
    enterprises_changed: int = 0
    records_added: int = 0
    records_changed: int = 0
    grades_changed: int = 0

    def summary(self) -> dict[str, int]:
        return dict(self.__dict__)

    @property
    def changed(self) -> bool:
        return bool(self.enterprises_added or self.enterprises_changed
                    or self.records_added or self.records_changed)


def import_archive(
    path: str,
    *,
    today: dt.date,
    source: str,
    actor_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Validate the whole file, then write it; raise :class:`InvalidArchive` if refused."""
    survey = validate_file(path, today)
    if survey.problems:
        raise InvalidArchive(survey.problems)
    return load_archive(path, today=today, source=source, actor_id=actor_id, progress=progress)


def load_archive(
    path: str,
    *,
    today: dt.date,
    source: str,
    actor_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Write a file that :func:`validate_file` accepted, and log the load."""
    result = write_enterprises(
        iter_enterprises(path), today=today, source=source, actor_id=actor_id, progress=progress
    )
    if result.changed:
        audit.record("archive.import", "archive", None, actor_id=actor_id, after={
            "source": source, "sha256": file_digest(path), **result.summary()})
    return result


def file_digest(path: str) -> str:
    """SHA-256 of a file, so the audit log names exactly what was loaded."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def write_enterprises(
    objects: Iterable[dict],
    *,
    today: dt.date,
    source: str,
    actor_id: int | None = None,
    progress: Callable[[int], None] | None = None,
    cause: GradeTrigger = GradeTrigger.IMPORT,
) -> ImportResult:
    """Upsert valid enterprise objects and their records, then regrade them. Flushes only."""
    result = ImportResult()
    size = current_app.config["BATCH_SIZE"]
    for chunk in _chunks(objects, size):
        _write_batch(chunk, result, source, actor_id)
        result.grades_changed += regrade(
            [obj["_id"] for obj in chunk], as_of=today, cause=cause, actor_id=actor_id
        ).changed
        db.session.expunge_all()
        if progress:
            progress(len(chunk))
    return result


def _write_batch(chunk: list[dict], result: ImportResult, source: str,
                 actor_id: int | None) -> None:
    values = [enterprise_values(obj) for obj in chunk]
    existing = {
        row.uscc: row
        for row in db.session.execute(
            select(Enterprise.id, *[getattr(Enterprise, c) for c in ENTERPRISE_COLUMNS])
            .where(Enterprise.uscc.in_([v["uscc"] for v in values]))
        )
    }
    new = [{**v, **pinyin_columns(v["name"])} for v in values if v["uscc"] not in existing]
    ids = {row.uscc: row.id for row in existing.values()}
    if new:
        returned = db.session.execute(
            insert(Enterprise.__table__).returning(
                Enterprise.__table__.c.id, Enterprise.__table__.c.uscc,
                sort_by_parameter_order=True),
            new,
        )
        ids.update({uscc: eid for eid, uscc in returned})
    changed = []
    for v in values:
        old = existing.get(v["uscc"])
        if old is not None and any(getattr(old, c) != v[c] for c in ENTERPRISE_COLUMNS):
            changed.append({"id": old.id, **v, **pinyin_columns(v["name"])})
            audit.record("enterprise.update", "enterprise", old.id, actor_id=actor_id,
                         before={c: getattr(old, c) for c in ENTERPRISE_COLUMNS}, after=v)
    if changed:
        update_rows(Enterprise.__table__, changed)
    result.enterprises += len(values)
    result.enterprises_added += len(new)
    result.enterprises_changed += len(changed)

    for obj, v in zip(chunk, values, strict=True):
        obj["_id"] = ids[v["uscc"]]
    old_ids = [row.id for row in existing.values()]
    stored = {}
    if old_ids:
        stored = {
            (row.enterprise_id, row.type, row.ref): row
            for row in db.session.execute(
                select(Record.id, Record.enterprise_id,
                       *[getattr(Record, c) for c in RECORD_COLUMNS])
                .where(Record.enterprise_id.in_(old_ids))
            )
        }
    inserts, updates = [], []
    for obj in chunk:
        eid = obj["_id"]
        for raw in obj.get("records") or ():
            rv = record_values(raw)
            old = stored.get((eid, rv["type"], rv["ref"]))
            if old is None:
                inserts.append({**rv, "enterprise_id": eid, "source": source,
                                "recorded_by_id": actor_id})
            elif any(getattr(old, c) != rv[c] for c in RECORD_COLUMNS):
                updates.append({**rv, "id": old.id, "source": source,
                                "recorded_by_id": actor_id})
                audit.record("record.update", "record", old.id, actor_id=actor_id,
                             before={c: getattr(old, c) for c in RECORD_COLUMNS}, after=rv)
    insert_rows(Record.__table__, inserts)
    update_rows(Record.__table__, updates)
    result.records_added += len(inserts)
    result.records_changed += len(updates)
