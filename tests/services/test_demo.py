"""The demo archive generator: determinism, exchange-format validity, streaming, grade mix."""

from __future__ import annotations

import gc
import inspect
import json
import random
import re
import tracemalloc
from collections import Counter
from datetime import date
from itertools import islice
from typing import Any

import pytest

from credit.services.demo import (
    DISTRICTS,
    INDUSTRIES,
    MAX_COUNT,
    REF_PREFIXES,
    _CodeKeys,
    generate_archive,
)
from credit.uscc import is_valid_uscc

TODAY = date(2026, 6, 15)

DISTRICT_NAMES = {
    "向阳区", "前进区", "东风区", "郊区", "桦南县", "桦川县",
    "汤原县", "同江市", "富锦市", "抚远市", "建三江管委会",
}  # fmt: skip
AREA_CODES = {
    "向阳区": "230803", "前进区": "230804", "东风区": "230805", "郊区": "230811",
    "桦南县": "230822", "桦川县": "230826", "汤原县": "230828", "同江市": "230881",
    "富锦市": "230882", "抚远市": "230883", "建三江管委会": "230800",
}  # fmt: skip
PLACES = {
    "向阳区": "佳木斯市", "前进区": "佳木斯市", "东风区": "佳木斯市", "郊区": "佳木斯市",
    "桦南县": "桦南县", "桦川县": "桦川县", "汤原县": "汤原县", "同江市": "同江市",
    "富锦市": "富锦市", "抚远市": "抚远市", "建三江管委会": "建三江",
}  # fmt: skip

ENTERPRISE_KEYS = {
    "uscc", "name", "district", "established_on", "qualification",
    "industry", "address", "products", "records",
}  # fmt: skip

# the type-specific fields of each record type and their allowed values (None: checked apart)
RECORD_FIELDS: dict[str, dict[str, set[str] | None]] = {
    "spot_check": {"subject": {"product", "metrology"}, "result": {"pass", "fail"}},
    "inspection": {"result": {"pass", "fail"}},
    "supervised_test": {"result": {"pass", "fail", "severe", "untested"}},
    "violation": {
        "category": {"quality", "metrology", "counterfeit"},
        "severity": {"general", "serious"},
    },
    "false_claim": {"harm": {"minor", "major"}},
    "complaint": {"resolution": {"timely", "late", "unresolved"}},
    "accident": {"severity": {"general", "major"}},
    "permit": {"status": {"held", "rectifying", "failed", "missing"}},
    "standard": {"finding": {"below_declared", "no_standard"}},
    "after_sales": {"finding": {"deficient", "serious_breach"}},
    "pass_rate": {"rate": None},
}
STATE_TYPES = {"permit", "standard", "after_sales", "pass_rate"}

REF = re.compile(r"JMS-([A-Z]{2})-(\d{4})-(\d{6,})-(\d+)")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _is_adverse(record: dict[str, Any]) -> bool:
    """Whether a record reports something wrong (and so should explain itself in a note)."""
    kind = record["type"]
    if kind in ("spot_check", "inspection", "supervised_test"):
        return record["result"] != "pass"
    if kind == "permit":
        return record["status"] != "held"
    return kind != "pass_rate"


def _iso(value: Any) -> date:
    assert isinstance(value, str)
    parsed = date.fromisoformat(value)
    assert parsed.isoformat() == value
    return parsed


def check_enterprise(enterprise: dict[str, Any], today: date) -> None:
    """Assert that one enterprise is valid exchange format and plausible demo data."""
    assert set(enterprise) == ENTERPRISE_KEYS
    uscc, district = enterprise["uscc"], enterprise["district"]
    assert is_valid_uscc(uscc), uscc
    assert district in DISTRICT_NAMES
    assert uscc[:2] == "91"
    assert uscc[2:8] == AREA_CODES[district]
    name = enterprise["name"]
    assert isinstance(name, str) and 1 <= len(name) <= 200
    assert name.startswith(PLACES[district])
    assert name.endswith(("有限公司", "有限责任公司", "股份有限公司", "厂"))
    established = _iso(enterprise["established_on"])
    assert date(1995, 1, 1) <= established <= today
    assert enterprise["qualification"] in ("valid", "invalid")
    assert re.fullmatch(r"C\d{4}", enterprise["industry"])
    assert enterprise["address"].endswith(" 号")
    products = enterprise["products"]
    assert isinstance(products, list) and products
    assert all(isinstance(p, str) and p for p in products)
    assert len(set(products)) == len(products)

    refs: set[tuple[str, str]] = set()
    last = date.min
    for record in enterprise["records"]:
        kind = record["type"]
        assert kind in RECORD_FIELDS
        fields = RECORD_FIELDS[kind]
        allowed = {"type", "ref", "date", "note", *fields}
        if kind in STATE_TYPES:
            allowed.add("resolved_on")
            assert "resolved_on" in record
        if kind == "permit" and record["status"] == "rectifying":
            allowed.add("deadline")
            assert "deadline" in record
        assert set(record) <= allowed, record
        assert set(fields) <= set(record), record
        for field, values in fields.items():
            if values is not None:
                assert record[field] in values, record

        day = _iso(record["date"])
        assert established <= day <= today, record
        assert day >= last, "records are in date order"
        last = day

        match = REF.fullmatch(record["ref"])
        assert match, record["ref"]
        assert match[1] == REF_PREFIXES[kind]
        assert int(match[2]) == day.year
        assert (kind, record["ref"]) not in refs
        refs.add((kind, record["ref"]))

        if kind in STATE_TYPES and record["resolved_on"] is not None:
            assert day <= _iso(record["resolved_on"]) <= today, record
        if "deadline" in record:
            assert _iso(record["deadline"]) > day, record
        if kind == "pass_rate":
            assert isinstance(record["rate"], float) and 0 <= record["rate"] <= 1
        if "note" in record:
            assert isinstance(record["note"], str) and CJK.search(record["note"])
        if _is_adverse(record):
            assert "note" in record, record


# -- shape --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "today"),
    [
        (1, TODAY),
        (2, date(2026, 1, 1)),  # "this year" is a single day
        (3, date(2024, 2, 29)),
        (4, date(2026, 12, 31)),
        (5, date(2031, 3, 1)),
    ],
)
def test_every_enterprise_is_valid_exchange_format(seed: int, today: date) -> None:
    usccs = set()
    for enterprise in generate_archive(1500, seed, today):
        check_enterprise(enterprise, today)
        usccs.add(enterprise["uscc"])
    assert len(usccs) == 1500


def test_output_is_plain_json() -> None:
    enterprises = list(generate_archive(200, 1, TODAY))
    document = {"format": "jms-quality-archive/1", "enterprises": enterprises}
    assert json.loads(json.dumps(document, ensure_ascii=False)) == document


def test_districts_industries_and_ages_are_mixed() -> None:
    enterprises = list(generate_archive(3000, 1, TODAY))
    districts = Counter(e["district"] for e in enterprises)
    assert set(districts) == DISTRICT_NAMES
    assert districts["向阳区"] > districts["抚远市"]
    urban = sum(districts[d] for d in ("向阳区", "前进区", "东风区", "郊区"))
    assert 0.45 < urban / 3000 < 0.7
    assert {e["industry"] for e in enterprises} == {i.code for i in INDUSTRIES}
    young = [e for e in enterprises if _iso(e["established_on"]) > date(2024, 6, 16)]
    assert 0.05 < len(young) / 3000 < 0.12
    assert all(len(e["records"]) > 0 for e in enterprises if e["established_on"] < "2020")
    assert len({e["name"] for e in enterprises}) > 2700
    new_style = [e for e in enterprises if e["uscc"][8:10] == "MA"]
    assert all(e["established_on"] >= "2015-10-01" for e in new_style)
    assert new_style and len(new_style) < 3000


def test_reference_data_is_consistent() -> None:
    assert {d.name for d in DISTRICTS} == DISTRICT_NAMES
    assert {d.name: d.area_code for d in DISTRICTS} == AREA_CODES
    assert len(INDUSTRIES) >= 15
    assert len({i.code for i in INDUSTRIES}) == len(INDUSTRIES)
    for industry in INDUSTRIES:
        assert 2 <= len(industry.products) <= 5
        assert industry.defects


# -- determinism --------------------------------------------------------------------------


def test_same_arguments_give_the_same_archive() -> None:
    random.seed(1)
    first = list(generate_archive(500, 42, TODAY))
    random.seed(2)  # the global generator plays no part
    second = list(generate_archive(500, 42, TODAY))
    assert first == second
    assert json.dumps(first, ensure_ascii=False) == json.dumps(second, ensure_ascii=False)


def test_the_global_random_state_is_left_alone() -> None:
    random.seed(7)
    state = random.getstate()
    for _ in generate_archive(200, 1, TODAY):
        pass
    assert random.getstate() == state


def test_a_shorter_archive_is_a_prefix_of_a_longer_one() -> None:
    assert list(generate_archive(50, 9, TODAY)) == list(islice(generate_archive(400, 9, TODAY), 50))


def test_seed_and_date_change_the_archive() -> None:
    base = list(generate_archive(50, 1, TODAY))
    assert list(generate_archive(50, 2, TODAY)) != base
    assert list(generate_archive(50, 1, date(2026, 6, 16))) != base
    assert {e["uscc"] for e in generate_archive(50, 2, TODAY)} != {e["uscc"] for e in base}


@pytest.mark.parametrize("count", [-1, MAX_COUNT + 1])
def test_count_out_of_range_is_refused_at_once(count: int) -> None:
    with pytest.raises(ValueError):
        generate_archive(count, 1, TODAY)


def test_zero_enterprises() -> None:
    assert list(generate_archive(0, 1, TODAY)) == []


# -- streaming ----------------------------------------------------------------------------


def test_it_is_a_lazy_generator() -> None:
    archive = generate_archive(MAX_COUNT, 1, TODAY)
    assert inspect.isgenerator(archive)
    check_enterprise(next(archive), TODAY)
    archive.close()


def _peak_bytes(count: int) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        for _ in generate_archive(count, 1, TODAY):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_count() -> None:
    # tracemalloc makes generation ~5x slower, so compare 400 with 4,000 rather than run 100k;
    # anything kept per enterprise (a list, a set of codes) would show as a 10x larger peak
    small, large = _peak_bytes(400), _peak_bytes(4000)
    assert large < 2 * 1024 * 1024
    assert large < small * 2 + 64 * 1024


def test_codes_are_distinct_per_index_in_both_code_spaces() -> None:
    # the USCCs are unique because the organisation code is a bijection of the index
    keys = _CodeKeys.draw(random.Random(1))
    old, new = date(2010, 1, 1).toordinal(), date(2020, 1, 1).toordinal()
    count = 300_000
    old_bodies = {keys.body(i, old) for i in range(count)}
    new_bodies = {keys.body(i, new) for i in range(count)}
    assert len(old_bodies) == len(new_bodies) == count
    assert all(body.isdigit() for body in islice(old_bodies, 1000))
    assert all(body.startswith("MA1") for body in islice(new_bodies, 1000))


# -- grades -------------------------------------------------------------------------------


def _facts(enterprise: dict[str, Any]) -> Any:
    from credit.rules.facts import ArchiveFacts, RecordFacts

    records = []
    for record in enterprise["records"]:
        fields = {k: v for k, v in record.items() if k not in ("type", "ref", "date", "note")}
        for key in ("deadline", "resolved_on"):
            if fields.get(key) is not None:
                fields[key] = date.fromisoformat(fields[key])
        records.append(
            RecordFacts(
                type=record["type"],
                ref=record["ref"],
                date=date.fromisoformat(record["date"]),
                **fields,
            )
        )
    return ArchiveFacts(
        established_on=date.fromisoformat(enterprise["established_on"]),
        qualification=enterprise["qualification"],
        records=tuple(records),
    )


ALL_CODES = {f"D{n}" for n in range(1, 10)} | {f"C{n}" for n in range(1, 9)} | {"B1-new"}


@pytest.mark.parametrize(
    ("seed", "today"),
    [(1, TODAY), (1, date(2026, 1, 2)), (2, date(2024, 2, 29)), (3, date(2026, 12, 31))],
)
def test_grade_mix_and_every_rule_in_2000(seed: int, today: date) -> None:
    engine = pytest.importorskip("credit.rules.engine")
    grades: Counter[str] = Counter()
    codes: set[str] = set()
    for enterprise in generate_archive(2000, seed, today):
        assessment = engine.evaluate(_facts(enterprise), today)
        grades[assessment.grade] += 1
        codes.update(reason.code for reason in assessment.reasons)
    share = {grade: grades[grade] / 2000 for grade in "ABCD"}
    assert 0.55 <= share["A"] <= 0.70, share
    assert 0.15 <= share["B"] <= 0.25, share
    assert 0.08 <= share["C"] <= 0.15, share
    assert 0.02 <= share["D"] <= 0.05, share
    assert ALL_CODES <= codes, sorted(ALL_CODES - codes)
