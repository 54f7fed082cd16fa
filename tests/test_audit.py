"""The audit chain: intact when untouched; an edited or removed row is found."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from credit.services import audit


@pytest.fixture
def chain(db):
    for i in range(5):
        audit.record("test.step", "thing", i, before={"n": i}, after={"n": i + 1})
    db.session.commit()
    return [row[0] for row in db.session.execute(text("SELECT id FROM audit_entries ORDER BY id"))]


def test_intact_chain_has_no_break(db, chain):
    assert list(audit.verify()) == []


@pytest.mark.parametrize("sql", [
    "UPDATE audit_entries SET after = '{\"n\": 99}' WHERE id = :id",
    "UPDATE audit_entries SET actor = 'mallory' WHERE id = :id",
    "UPDATE audit_entries SET action = 'test.other' WHERE id = :id",
])
def test_edited_row_is_reported(db, chain, sql):
    db.session.execute(text(sql), {"id": chain[2]})
    db.session.commit()
    breaks = list(audit.verify())
    assert [(b.entry_id, "edited" in b.problem) for b in breaks] == [(chain[2], True)]


def test_removed_row_is_reported_at_the_next_one(db, chain):
    db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": chain[2]})
    db.session.commit()
    assert [b.entry_id for b in audit.verify()] == [chain[3]]
