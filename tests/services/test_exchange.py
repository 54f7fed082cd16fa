"""Validation of the exchange format: one case per field rule, good and bad."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.services.exchange import Problems, validate_enterprise, validate_file

TODAY = dt.date(2026, 10, 15)


def enterprise(**changes):
    base = {
        "uscc": "912308041043321813",
        "name": "佳木斯市松江乳业有限公司",
        "district": "前进区",
        "established_on": "2012-05-20",
        "qualification": "valid",
        "industry": "C1441",
        "address": "佳木斯市前进区长安路 1 号",
        "products": ["液态奶"],
        "records": [],
    }
    for key, value in changes.items():
        if value is ...:
            base.pop(key)
        else:
            base[key] = value
    return base


def record(type_="spot_check", **changes):
    bases = {
        "spot_check": {"subject": "product", "result": "fail"},
        "inspection": {"result": "pass"},
        "supervised_test": {"result": "severe"},
        "violation": {"category": "quality", "severity": "general"},
        "false_claim": {"harm": "minor"},
        "complaint": {"resolution": "timely"},
        "accident": {"severity": "general"},
        "permit": {"status": "rectifying", "deadline": "2026-12-31", "resolved_on": None},
        "standard": {"finding": "below_declared", "resolved_on": None},
        "after_sales": {"finding": "deficient", "resolved_on": "2026-06-01"},
        "pass_rate": {"rate": 0.99, "resolved_on": None},
    }
    base = {"type": type_, "ref": "REF-1", "date": "2026-03-05", **bases[type_]}
    for key, value in changes.items():
        if value is ...:
            base.pop(key)
        else:
            base[key] = value
    return base


def problems_of(obj) -> list[str]:
    problems = Problems()
    validate_enterprise(obj, "enterprises[0]", TODAY, problems)
    return problems.items


GOOD = [
    pytest.param(enterprise(), id="complete"),
    pytest.param(enterprise(qualification=..., industry=..., address=..., products=...,
                            records=...), id="only-required-fields"),
    pytest.param(enterprise(qualification="invalid"), id="qualification-invalid"),
    pytest.param(enterprise(district="建三江管委会"), id="district-jiansanjiang"),
    pytest.param(enterprise(established_on="2026-10-15"), id="established-today"),
    pytest.param(enterprise(name="厂" * 200), id="name-200-chars"),
    pytest.param(enterprise(industry=None, address=None), id="optional-null"),
    *[pytest.param(enterprise(records=[record(t)]), id=f"record-{t}") for t in (
        "spot_check", "inspection", "supervised_test", "violation", "false_claim",
        "complaint", "accident", "permit", "standard", "after_sales", "pass_rate")],
    pytest.param(enterprise(records=[record("permit", status="held", deadline=...)]),
                 id="permit-held-without-deadline"),
    pytest.param(enterprise(records=[record("pass_rate", rate=1)]), id="pass-rate-integer-1"),
    pytest.param(enterprise(records=[record("pass_rate", rate=0)]), id="pass-rate-0"),
    pytest.param(enterprise(records=[record(date="2012-05-20")]), id="record-on-established"),
    pytest.param(enterprise(records=[record(date="2026-10-15")]), id="record-today"),
    pytest.param(enterprise(records=[record(note="甲醛释放量不合格")]), id="record-note"),
    pytest.param(enterprise(records=[record(), record("inspection")]),
                 id="same-ref-other-type"),
    pytest.param(enterprise(records=[record("permit", deadline="2030-01-01")]),
                 id="deadline-in-future"),
]


@pytest.mark.parametrize("obj", GOOD)
def test_valid_enterprises_pass(obj):
    assert problems_of(obj) == []


BAD = [
    # (object, place, words the message must contain)
    (enterprise(uscc=...), "enterprises[0].uscc", "is required"),
    (enterprise(uscc="91230804104332181"), "enterprises[0].uscc", "18 characters"),
    (enterprise(uscc="912308041043321814"), "enterprises[0].uscc", "check character"),
    (enterprise(uscc="9123080410433218I3"), "enterprises[0].uscc", "'I'"),
    (enterprise(uscc=912308041043321813), "enterprises[0].uscc", "must be text"),
    (enterprise(name=...), "enterprises[0].name", "is required"),
    (enterprise(name=""), "enterprises[0].name", "must not be empty"),
    (enterprise(name="   "), "enterprises[0].name", "must not be empty"),
    (enterprise(name="厂" * 201), "enterprises[0].name", "at most 200"),
    (enterprise(district=...), "enterprises[0].district", "is required"),
    (enterprise(district="哈尔滨市"), "enterprises[0].district", "is not one of"),
    (enterprise(established_on=...), "enterprises[0].established_on", "is required"),
    (enterprise(established_on="2015/04/01"), "enterprises[0].established_on", "YYYY-MM-DD"),
    (enterprise(established_on="2015-02-30"), "enterprises[0].established_on", "YYYY-MM-DD"),
    (enterprise(established_on="2026-10-16"), "enterprises[0].established_on", "future"),
    (enterprise(qualification="lapsed"), "enterprises[0].qualification", "valid, invalid"),
    (enterprise(industry=7), "enterprises[0].industry", "must be text"),
    (enterprise(address="路" * 501), "enterprises[0].address", "at most 500"),
    (enterprise(products="液态奶"), "enterprises[0].products", "must be a list"),
    (enterprise(products=["液态奶", 3]), "enterprises[0].products[1]", "must be text"),
    (enterprise(records={}), "enterprises[0].records", "must be a list"),
    (enterprise(colour="red"), "enterprises[0].colour", "not a field of an enterprise"),
    (enterprise(name="a\x00b"), "enterprises[0].name", "NUL"),
    (enterprise(records=["x"]), "enterprises[0].records[0]", "must be an object"),
    (enterprise(records=[record(type=...)]), "enterprises[0].records[0].type", "is required"),
    (enterprise(records=[record(type="audit")]), "enterprises[0].records[0].type",
     "is not one of"),
    (enterprise(records=[record(ref=...)]), "enterprises[0].records[0].ref", "is required"),
    (enterprise(records=[record(ref="")]), "enterprises[0].records[0].ref", "must not be empty"),
    (enterprise(records=[record(ref="R" * 101)]), "enterprises[0].records[0].ref",
     "at most 100"),
    (enterprise(records=[record(), record()]), "enterprises[0].records[1].ref", "repeats"),
    (enterprise(records=[record(date=...)]), "enterprises[0].records[0].date", "is required"),
    (enterprise(records=[record(date="5 March 2026")]), "enterprises[0].records[0].date",
     "YYYY-MM-DD"),
    (enterprise(records=[record(date="2026-10-16")]), "enterprises[0].records[0].date",
     "future"),
    (enterprise(records=[record(date="2012-05-19")]), "enterprises[0].records[0].date",
     "before the enterprise was established"),
    (enterprise(records=[record(note=5)]), "enterprises[0].records[0].note", "must be text"),
    (enterprise(records=[record(result="failed")]), "enterprises[0].records[0].result",
     "'failed' is not one of pass, fail"),
    (enterprise(records=[record(result=...)]), "enterprises[0].records[0].result",
     "is required"),
    (enterprise(records=[record(subject="food")]), "enterprises[0].records[0].subject",
     "is not one of product, metrology"),
    (enterprise(records=[record("inspection", result="severe")]),
     "enterprises[0].records[0].result", "is not one of pass, fail"),
    (enterprise(records=[record("supervised_test", result="bad")]),
     "enterprises[0].records[0].result", "pass, fail, severe, untested"),
    (enterprise(records=[record("violation", category="tax")]),
     "enterprises[0].records[0].category", "quality, metrology, counterfeit"),
    (enterprise(records=[record("violation", severity="major")]),
     "enterprises[0].records[0].severity", "general, serious"),
    (enterprise(records=[record("false_claim", harm="huge")]),
     "enterprises[0].records[0].harm", "minor, major"),
    (enterprise(records=[record("complaint", resolution="never")]),
     "enterprises[0].records[0].resolution", "timely, late, unresolved"),
    (enterprise(records=[record("accident", severity="serious")]),
     "enterprises[0].records[0].severity", "general, major"),
    (enterprise(records=[record("permit", status="expired")]),
     "enterprises[0].records[0].status", "held, rectifying, failed, missing"),
    (enterprise(records=[record("permit", deadline=...)]),
     "enterprises[0].records[0].deadline", "required for a permit under rectification"),
    (enterprise(records=[record("permit", deadline="soon")]),
     "enterprises[0].records[0].deadline", "YYYY-MM-DD"),
    (enterprise(records=[record("standard", finding="deficient")]),
     "enterprises[0].records[0].finding", "below_declared, no_standard"),
    (enterprise(records=[record("after_sales", finding="below_declared")]),
     "enterprises[0].records[0].finding", "deficient, serious_breach"),
    (enterprise(records=[record("pass_rate", rate=1.2)]), "enterprises[0].records[0].rate",
     "not between 0 and 1"),
    (enterprise(records=[record("pass_rate", rate="99%")]), "enterprises[0].records[0].rate",
     "must be a number"),
    (enterprise(records=[record("pass_rate", rate=True)]), "enterprises[0].records[0].rate",
     "must be a number"),
    (enterprise(records=[record("pass_rate", resolved_on="2026-03-01")]),
     "enterprises[0].records[0].resolved_on", "before the record's date"),
    (enterprise(records=[record("standard", resolved_on="2026-10-16")]),
     "enterprises[0].records[0].resolved_on", "future"),
    (enterprise(records=[record(resolved_on="2026-04-01")]),
     "enterprises[0].records[0].resolved_on", "not a field of a spot_check record"),
    (enterprise(records=[record(status="held")]), "enterprises[0].records[0].status",
     "not a field of a spot_check record"),
]


@pytest.mark.parametrize(("obj", "place", "words"), BAD,
                         ids=[f"{p.split('.')[-1]}-{i}" for i, (_, p, _) in enumerate(BAD)])
def test_each_rule_refuses_with_its_place(obj, place, words):
    problems = problems_of(obj)
    assert problems, "the bad value was accepted"
    assert any(p.startswith(place + ":") and words in p for p in problems), problems


def test_every_problem_is_reported_not_only_the_first():
    obj = enterprise(name="", district="哈尔滨市",
                     records=[record(result="failed"), record("permit", ref="P", status="x")])
    problems = problems_of(obj)
    places = {p.split(":")[0] for p in problems}
    assert places == {
        "enterprises[0].name", "enterprises[0].district", "enterprises[0].records[0].result",
        "enterprises[0].records[1].status",
    }


def test_message_matches_the_specification_example():
    obj = enterprise(records=[record(), record(ref="2"), record(ref="3", result="failed")])
    assert problems_of(obj) == [
        "enterprises[0].records[2].result: 'failed' is not one of pass, fail"
    ]


@pytest.mark.parametrize(("document", "words"), [
    ("{not json", "not valid JSON"),
    ("[]", "must hold a JSON object"),
    ({"enterprises": []}, "format: expected 'jms-quality-archive/1', got None"),
    ({"format": "jms-quality-archive/2", "enterprises": []}, "got 'jms-quality-archive/2'"),
    ({"format": "jms-quality-archive/1"}, "enterprises: must be a list"),
    ({"format": "jms-quality-archive/1", "enterprises": {}}, "enterprises: must be a list"),
])
def test_file_level_problems(write_json, document, words):
    survey = validate_file(str(write_json(document)), TODAY)
    assert any(words in p for p in survey.problems.items), survey.problems.items


def test_duplicate_uscc_in_one_file_is_refused(write_json):
    doc = {"format": "jms-quality-archive/1",
           "enterprises": [enterprise(), enterprise(name="另一个")]}
    survey = validate_file(str(write_json(doc)), TODAY)
    assert survey.problems.items == [
        "enterprises[1].uscc: '912308041043321813' repeats enterprises[0]"
    ]


def test_truncated_file_is_refused_with_one_clear_line(write_json):
    doc = {"format": "jms-quality-archive/1", "enterprises": [enterprise(name="")]}
    text = json.dumps(doc, ensure_ascii=False)
    messages = validate_file(str(write_json(text[:-5])), TODAY).problems.items
    assert messages
    assert messages[-1].startswith("the file is not valid JSON: ")
    assert "\n" not in messages[-1]


def test_validation_does_not_modify_the_input():
    obj = enterprise(records=[record()])
    before = copy.deepcopy(obj)
    problems_of(obj)
    assert obj == before


def _archive_file(path, count: int) -> None:
    from credit.services.demo import generate_archive
    from credit.services.exchange import write_archive

    with path.open("w", encoding="utf-8") as out:
        write_archive(out, generate_archive(count, 7, TODAY))


def test_validation_streams_in_bounded_memory(tmp_path):
    """Ten times the enterprises must not take anywhere near ten times the memory."""
    import tracemalloc

    peaks = []
    for count in (300, 3000):
        path = tmp_path / f"a{count}.json"
        _archive_file(path, count)
        tracemalloc.start()
        survey = validate_file(str(path), TODAY)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert survey.enterprises == count and not survey.problems
    # what grows is only the set of USCCs seen (about 100 bytes an enterprise)
    assert peaks[1] < peaks[0] + 3000 * 400, peaks


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    doc = {"format": "jms-quality-archive/1", "enterprises": [enterprise()]}
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(doc, ensure_ascii=False).encode())
    survey = validate_file(str(path), TODAY)
    assert (survey.enterprises, survey.problems.items) == (1, [])


# -- hostile files: refused before parsing, in bounded time and memory ------------------------


def _refusal(path):
    """Validate under tracemalloc: (problems, peak bytes, seconds)."""
    import time
    import tracemalloc

    tracemalloc.start()
    started = time.monotonic()
    try:
        survey = validate_file(str(path), TODAY)
        return survey.problems.items, tracemalloc.get_traced_memory()[1], \
            time.monotonic() - started
    finally:
        tracemalloc.stop()


def test_deeply_nested_brackets_are_refused_at_once(tmp_path):
    path = tmp_path / "deep.json"
    depth = 100_000  # 200 KB; the parser alone would take over 20 GB
    path.write_text('{"format": "jms-quality-archive/1", "enterprises": '
                    + "[" * depth + "]" * depth + "}")
    problems, peak, seconds = _refusal(path)
    assert problems == [
        "enterprises[0][0][0][0][0][0]: nested more than 8 levels deep; an archive has 5 "
        "(the file, its enterprises, an enterprise, its records, a record)"]
    assert peak < 32 * 2**20, peak
    assert seconds < 10


@pytest.mark.parametrize("text", ["厂", "\\\\", '\\"'], ids=["chinese", "backslashes", "quotes"])
def test_a_huge_text_is_refused_unread(tmp_path, text):
    path = tmp_path / "long.json"
    name = text * (17_000_000 // len(text))  # 17 million characters (or escapes)
    path.write_text('{"format": "jms-quality-archive/1", "enterprises": [{"uscc": '
                    '"912308041043321813", "name": "' + name + '", "district": "前进区"}]}',
                    encoding="utf-8")
    problems, peak, seconds = _refusal(path)
    assert problems == ["enterprises[0].name: a text longer than 65,536 bytes; no field of an "
                        "archive needs more than a few thousand characters"]
    assert peak < 32 * 2**20, peak
    assert seconds < 10


@pytest.mark.parametrize("digits", [5_000, 200_000])
def test_a_huge_number_is_refused_unread(tmp_path, digits):
    """The JSON parser crashes the process on an integer of more than 4,300 digits."""
    path = tmp_path / "number.json"
    path.write_text('{"format": "jms-quality-archive/1", "enterprises": [{"records": [{"rate": '
                    + "9" * digits + "}]}]}")
    problems, _peak, _seconds = _refusal(path)
    assert problems == ["enterprises[0].records[0].rate: a number longer than 64 characters; "
                        "no field of an archive needs one"]


def test_number_characters_in_a_text_are_text(tmp_path):
    doc = {"format": "jms-quality-archive/1",
           "enterprises": [enterprise(records=[record(note="1" * 900, ref="9e" * 50)])]}
    path = tmp_path / "digits.json"
    path.write_text(json.dumps(doc))
    assert validate_file(str(path), TODAY).problems.items == []


def test_one_enterprise_bigger_than_any_real_one_is_refused(tmp_path, monkeypatch):
    from credit.services import exchange

    monkeypatch.setattr(exchange, "MAX_ENTERPRISE_BYTES", 2**20)
    records = [record("inspection", ref=f"R-{i}", result="pass") for i in range(20_000)]
    doc = {"format": "jms-quality-archive/1",
           "enterprises": [enterprise(), enterprise(uscc="91230800000000019K", records=records)]}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc))
    problems, _peak, _seconds = _refusal(path)
    assert problems == ["enterprises[1]: one enterprise takes more than 1 MiB of the file; split "
                        "its records over several files"]


def test_texts_that_look_like_structure_are_texts(tmp_path, monkeypatch):
    """Brackets, quotes and backslashes inside texts, cut anywhere by the chunks."""
    from credit.services import exchange

    tricky = '[[[[{{{{ \\" ]]]] \\\\" [[[[[[[[[[ \\\\\\" {{{{{{{{{{'
    doc = {"format": "jms-quality-archive/1", "enterprises": [
        enterprise(name=tricky[:200], address=tricky * 10,
                   records=[record(note=tricky * 20)])]}
    path = tmp_path / "tricky.json"
    path.write_text(json.dumps(doc, ensure_ascii=True))
    for size in (1, 2, 3, 7, 64, 4096):
        monkeypatch.setattr(exchange, "_CHUNK_BYTES", size)
        survey = validate_file(str(path), TODAY)
        assert survey.problems.items == [], size


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                     st.text(alphabet='[]{}"\\ab厂,:', max_size=12))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(alphabet='[]{}"\\k', max_size=4),
                                                 inner, max_size=3)), max_leaves=40)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@given(_VALUES, st.sampled_from([1, 2, 5, 13, 1 << 18]), st.booleans())
@settings(max_examples=300, deadline=None)
def test_the_byte_scan_measures_nesting_exactly(value, chunk, ascii_only):
    """Whatever the texts hold and wherever the chunks fall, the scan refuses exactly the
    documents nested more than MAX_DEPTH deep."""
    import io

    from credit.services import exchange

    document = {"format": "x", "enterprises": [value]}
    raw = json.dumps(document, ensure_ascii=ascii_only).encode()
    saved = exchange._CHUNK_BYTES
    exchange._CHUNK_BYTES = chunk
    try:
        hazard = exchange.scan_shape(io.BytesIO(raw))
    finally:
        exchange._CHUNK_BYTES = saved
    assert (hazard is not None) == (_depth(document) > exchange.MAX_DEPTH), hazard
