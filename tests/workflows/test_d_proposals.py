"""Grade changes to D arriving in one batch (an import) propose one case each, exactly once."""

from __future__ import annotations

from sqlalchemy import select

from credit.models import DCase, Enterprise, Record
from credit.services.importer import write_enterprises
from tests.workflows.conftest import COUNTERFEIT, DAY, FAIL, firm


def test_one_case_per_new_d_with_its_own_records(db, world):
    batch = [
        firm(11, "郊区", {**COUNTERFEIT, "ref": "V-11"}, {**FAIL, "ref": "F-11"}),
        firm(12, "郊区", {**COUNTERFEIT, "ref": "V-12"}, {**FAIL, "ref": "V-11"}),
        firm(13, "郊区", {**FAIL, "ref": "F-13"}),  # C: no case
    ]
    write_enterprises([dict(f) for f in batch], today=DAY, source="test")
    cases = {
        uscc: case for case, uscc in db.session.execute(
            select(DCase, Enterprise.uscc).join(Enterprise)
            .where(Enterprise.uscc.in_([f["uscc"] for f in batch])))
    }
    assert set(cases) == {batch[0]["uscc"], batch[1]["uscc"]}
    for f in batch[:2]:
        case = cases[f["uscc"]]
        refs = db.session.scalars(select(Record.ref).where(Record.id.in_(case.record_ids))).all()
        # only the records behind D2, and only this enterprise's (the same ref elsewhere is not)
        assert refs == [f["records"][0]["ref"]]
        assert [r["code"] for r in case.reasons] == ["D2"]
    write_enterprises([dict(f) for f in batch], today=DAY, source="test")  # again: no new case
    assert db.session.query(DCase).count() == len(cases) + 2  # the world's own two D firms
