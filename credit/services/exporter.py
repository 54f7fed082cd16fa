"""Read the whole archive back out, a batch of enterprises at a time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator

from flask import current_app
from sqlalchemy import select

from credit.extensions import db
from credit.models import Enterprise, Record
from credit.services.exchange import ENTERPRISE_COLUMNS, RECORD_COLUMNS, enterprise_object


def iter_archive(progress: Callable[[int], None] | None = None) -> Iterator[dict]:
    """Every enterprise with its records, as exchange-format objects, in USCC order."""
    size = current_app.config["BATCH_SIZE"]
    last = ""
    while True:
        heads = db.session.execute(
            select(Enterprise.id, *[getattr(Enterprise, c) for c in ENTERPRISE_COLUMNS])
            .where(Enterprise.uscc > last).order_by(Enterprise.uscc).limit(size)
        ).all()
        if not heads:
            return
        records = defaultdict(list)
        for row in db.session.execute(
            select(Record.enterprise_id, *[getattr(Record, c) for c in RECORD_COLUMNS])
            .where(Record.enterprise_id.in_([h.id for h in heads]))
            .order_by(Record.enterprise_id, Record.date, Record.type, Record.ref)
        ):
            records[row.enterprise_id].append(row._asdict())
        for head in heads:
            yield enterprise_object(head._asdict(), records.get(head.id, []))
        last = heads[-1].uscc
        if progress:
            progress(len(heads))
