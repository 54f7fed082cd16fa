"""Load archives into the database: validate everything first, then write in batches.

A refused file writes nothing. An accepted file is written inside the caller's transaction
(the CLI commits once at the end), so a failure half way leaves the database as it was.
Loading the same file twice changes nothing: unchanged rows are not touched.

``actor`` is the user loading the file (the staff backend's upload), or ``None`` for the CLI
operator and the system. A user must be a recorder or city_admin (``NotPermitted``), and every
enterprise of the file must be one they may record for: in the file and, for one already
registered, in the database too, within their jurisdiction. Enterprises outside it are
validation problems with their place, so the whole file is refused.
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
from credit.models import Enterprise, GradeTrigger, Record, User
from credit.names import pinyin_columns, search_document
from credit.permissions import is_recorder
from credit.services import audit
from credit.services.bulk import end_batch, insert_rows, update_rows
from credit.services.exchange import (
    ENTERPRISE_COLUMNS,
    RECORD_COLUMNS,
    Problems,
    Survey,
    enterprise_values,
    iter_enterprises,
    record_values,
    validate_file,
)
from credit.services.grading import regrade
from credit.workflows.errors import NotPermitted


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


def _ensure_importer(actor: User | None) -> None:
    if actor is not None and not is_recorder(actor):
        raise NotPermitted("you may not load archive files")


def _jurisdiction(actor: User | None) -> str | None:
    """The one district an actor may record for, or None (no actor, or the whole city)."""
    return None if actor is None else actor.jurisdiction


def check_registered_districts(survey: Survey, actor: User | None) -> None:
    """Add a problem for each enterprise of the file already registered outside the actor's
    jurisdiction (one query per batch of USCCs)."""
    jurisdiction = _jurisdiction(actor)
    if jurisdiction is None or not survey.usccs:
        return
    size = current_app.config["BATCH_SIZE"]
    outside = []
    for chunk in _chunks(survey.usccs, size):
        outside += db.session.execute(
            select(Enterprise.uscc, Enterprise.district)
            .where(Enterprise.uscc.in_(chunk), Enterprise.district != jurisdiction)).all()
    for uscc, district in sorted(outside, key=lambda row: survey.usccs[row[0]]):
        survey.problems.add(f"enterprises[{survey.usccs[uscc]}].uscc",
                            f"{uscc} is registered in {district}, outside your jurisdiction")


def import_archive(
    path: str,
    *,
    today: dt.date,
    source: str,
    actor: User | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Validate the whole file, then write it; raise :class:`InvalidArchive` if refused."""
    _ensure_importer(actor)
    jurisdiction = _jurisdiction(actor)
    survey = validate_file(path, today,
                           districts=None if jurisdiction is None else (jurisdiction,))
    if not survey.problems:
        check_registered_districts(survey, actor)
    if survey.problems:
        raise InvalidArchive(survey.problems)
    return load_archive(path, today=today, source=source, actor=actor, progress=progress)


def load_archive(
    path: str,
    *,
    today: dt.date,
    source: str,
    actor: User | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Write a file that :func:`validate_file` accepted, and log the load."""
    actor_id = actor.id if actor is not None else None
    result = write_enterprises(
        iter_enterprises(path), today=today, source=source, actor=actor, progress=progress
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
    actor: User | None = None,
    progress: Callable[[int], None] | None = None,
    cause: GradeTrigger = GradeTrigger.IMPORT,
) -> ImportResult:
    """Upsert valid enterprise objects and their records, then regrade them. Flushes only.

    With an ``actor``, an enterprise outside their jurisdiction raises ``NotPermitted`` (the
    caller rolls back); :func:`import_archive` reports those as problems before writing.
    """
    _ensure_importer(actor)
    actor_id = actor.id if actor is not None else None
    jurisdiction = _jurisdiction(actor)
    result = ImportResult()
    size = current_app.config["BATCH_SIZE"]
    for chunk in _chunks(objects, size):
        _write_batch(chunk, result, source, actor_id, jurisdiction)
        result.grades_changed += regrade(
            [obj["_id"] for obj in chunk], as_of=today, cause=cause, actor_id=actor_id
        ).changed
        end_batch()
        if actor is not None:  # the caller's user (e.g. the signed-in one) stays usable
            db.session.add(actor)
        if progress:
            progress(len(chunk))
    return result


def _search_columns(values: dict, dialect: str) -> dict[str, str]:
    """What the model's events write with a name (Core writes skip them): the pinyin columns
    and the full-text terms."""
    columns = pinyin_columns(values["name"])
    return {**columns,
            "search_terms": search_document(values["name"], columns["name_pinyin"],
                                            columns["name_initials"], values["district"],
                                            dialect)}


def _write_batch(chunk: list[dict], result: ImportResult, source: str,
                 actor_id: int | None, jurisdiction: str | None) -> None:
    values = [enterprise_values(obj) for obj in chunk]
    existing = {
        row.uscc: row
        for row in db.session.execute(
            select(Enterprise.id, *[getattr(Enterprise, c) for c in ENTERPRISE_COLUMNS])
            .where(Enterprise.uscc.in_([v["uscc"] for v in values]))
        )
    }
    if jurisdiction is not None:
        for v in values:
            old = existing.get(v["uscc"])
            for district in (v["district"], old.district if old is not None else None):
                if district is not None and district != jurisdiction:
                    raise NotPermitted(f"enterprise {v['uscc']} is in {district}, outside "
                                       "your jurisdiction; nothing may be written")
    provenance = {} if actor_id is None else {"recorded_by_id": actor_id}
    dialect = db.session.get_bind().dialect.name
    new = [{**v, **_search_columns(v, dialect), **provenance}
           for v in values if v["uscc"] not in existing]
    ids = {row.uscc: row.id for row in existing.values()}
    if new:
        returned = db.session.execute(
            insert(Enterprise.__table__).returning(
                Enterprise.__table__.c.id, Enterprise.__table__.c.uscc,
                sort_by_parameter_order=True),
            new,
        )
        ids.update({uscc: eid for eid, uscc in returned})
    changed, logged = [], []
    for v in values:
        old = existing.get(v["uscc"])
        if old is not None and any(getattr(old, c) != v[c] for c in ENTERPRISE_COLUMNS):
            changed.append({"id": old.id, **v, **_search_columns(v, dialect)})
            logged.append(audit.Change("enterprise.update", "enterprise", old.id, actor_id,
                                       before={c: getattr(old, c) for c in ENTERPRISE_COLUMNS},
                                       after=v))
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
                # recorded_by_id stays who entered it; the correction is in the audit log
                updates.append({**rv, "id": old.id, "source": source})
                logged.append(audit.Change("record.update", "record", old.id, actor_id,
                                           before={c: getattr(old, c) for c in RECORD_COLUMNS},
                                           after=rv))
    audit.record_many(logged)  # the batch's entries in one statement
    insert_rows(Record.__table__, inserts)
    update_rows(Record.__table__, updates)
    result.records_added += len(inserts)
    result.records_changed += len(updates)
