"""The archive exchange format ``jms-quality-archive/1``: reading, validating and writing.

Files are read as a stream (ijson): one enterprise object at a time is built in memory, never the
whole document. Validation reports every problem with its place, in the form the specification
shows (``enterprises[3].records[2].result: 'failed' is not one of pass, fail``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import ijson

from credit.uscc import uscc_problem
from credit.vocabulary import (
    DETAIL_FIELDS,
    DISTRICTS,
    NAME_MAX,
    QUALIFICATIONS,
    RECORD_KINDS,
    RECORD_TYPES,
)

FORMAT = "jms-quality-archive/1"

ENTERPRISE_FIELDS = (
    "uscc", "name", "district", "established_on", "qualification",
    "industry", "address", "products", "records",
)
COMMON_RECORD_FIELDS = ("type", "ref", "date", "note")
#: Database columns that hold an enterprise's and a record's exchange-format content.
ENTERPRISE_COLUMNS = ("uscc", "name", "district", "established_on", "qualification",
                      "industry", "address", "products")
RECORD_COLUMNS = ("type", "ref", "date", "note", *DETAIL_FIELDS, "resolved_on")
TEXT_LIMITS = {"industry": 200, "address": 500, "note": 1000, "ref": 100, "product": 200}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ArchiveError(Exception):
    """A file that cannot be read as an archive at all (not JSON, wrong format id...)."""


@dataclass
class Problems:
    """Every problem found, each with its place in the file."""

    items: list[str] = field(default_factory=list)

    def add(self, place: str, message: str) -> None:
        self.items.append(f"{place}: {message}" if place else message)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)


# -- reading -----------------------------------------------------------------------------------


def open_archive(path: str) -> IO[bytes]:
    """Open a file for reading, past a UTF-8 byte-order mark if it has one."""
    f = open(path, "rb")  # the caller closes it
    if f.read(3) != b"\xef\xbb\xbf":
        f.seek(0)
    return f


def read_format(path: str) -> Any:
    """The value of the top-level ``format`` key (``None`` when absent)."""
    with open_archive(path) as f:
        return next(ijson.items(f, "format"), None)


def _enterprises_kind(path: str) -> str | None:
    """The JSON kind of the top-level ``enterprises`` value, read without loading it."""
    with open_archive(path) as f:
        for prefix, event, _value in ijson.parse(f):
            if prefix == "enterprises":
                return {"start_array": "array", "start_map": "object"}.get(event, event)
            if prefix == "" and event == "start_map":
                continue
            if prefix == "" and event not in ("map_key", "end_map"):
                return None
    return None


def iter_enterprises(path: str) -> Iterator[Any]:
    """Each element of the top-level ``enterprises`` array, one at a time."""
    with open_archive(path) as f:
        yield from ijson.items(f, "enterprises.item", use_float=True)


def check_top_level(path: str) -> None:
    """Raise :class:`ArchiveError` unless the file is a JSON object of this format."""
    try:
        with open_archive(path) as f:
            first = next(ijson.parse(f), None)
        if first is None or first[1] != "start_map":
            raise ArchiveError("the file must hold a JSON object with 'format' and 'enterprises'")
        fmt = read_format(path)
        kind = _enterprises_kind(path)
    except ijson.JSONError as exc:
        raise ArchiveError(f"the file is not valid JSON: {_one_line(exc)}") from exc
    except UnicodeDecodeError as exc:
        raise ArchiveError(f"the file is not UTF-8: {exc}") from exc
    if fmt != FORMAT:
        raise ArchiveError(f"format: expected {FORMAT!r}, got {fmt!r}")
    if kind != "array":
        raise ArchiveError("enterprises: must be a list of enterprises")


# -- validating --------------------------------------------------------------------------------


def _text(problems: Problems, place: str, value: Any, *, limit: int, min_len: int = 0) -> bool:
    if not isinstance(value, str):
        problems.add(place, f"must be text, got {_describe(value)}")
        return False
    if "\x00" in value:
        problems.add(place, "must not contain a NUL character")
        return False
    if len(value.strip()) < min_len:
        problems.add(place, "must not be empty")
        return False
    if len(value) > limit:
        problems.add(place, f"must be at most {limit} characters, got {len(value)}")
        return False
    return True


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return repr(value)


def parse_date(value: Any) -> dt.date | None:
    """An ISO ``YYYY-MM-DD`` date, or ``None`` if the value is not one."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _date(problems: Problems, place: str, value: Any, today: dt.date,
          *, future_ok: bool = False) -> dt.date | None:
    parsed = parse_date(value)
    if parsed is None:
        problems.add(place, f"{_describe(value)} is not a date in the form YYYY-MM-DD")
        return None
    if not future_ok and parsed > today:
        problems.add(place, f"{value} is in the future")
        return None
    return parsed


def _one_of(problems: Problems, place: str, value: Any, allowed: Iterable[str]) -> bool:
    allowed = tuple(allowed)
    if value not in allowed or not isinstance(value, str):
        problems.add(place, f"{_describe(value)} is not one of {', '.join(allowed)}")
        return False
    return True


def validate_enterprise(obj: Any, place: str, today: dt.date, problems: Problems) -> None:
    """Check one enterprise object and its records; add every problem found."""
    if not isinstance(obj, dict):
        problems.add(place, f"must be an object, got {_describe(obj)}")
        return
    for key in obj:
        if key not in ENTERPRISE_FIELDS:
            problems.add(f"{place}.{key}", "is not a field of an enterprise")
    for key in ("uscc", "name", "district", "established_on"):
        if obj.get(key) is None:
            problems.add(f"{place}.{key}", "is required")

    uscc = obj.get("uscc")
    if uscc is not None and _text(problems, f"{place}.uscc", uscc, limit=100):
        message = uscc_problem(uscc)
        if message:
            problems.add(f"{place}.uscc", f"{uscc!r} is not a valid USCC: {message}")
    if obj.get("name") is not None:
        _text(problems, f"{place}.name", obj["name"], limit=NAME_MAX, min_len=1)
    if obj.get("district") is not None:
        _one_of(problems, f"{place}.district", obj["district"], DISTRICTS)
    established = None
    if obj.get("established_on") is not None:
        established = _date(problems, f"{place}.established_on", obj["established_on"], today)
    if "qualification" in obj:
        _one_of(problems, f"{place}.qualification", obj["qualification"], QUALIFICATIONS)
    for key in ("industry", "address"):
        if obj.get(key) is not None:
            _text(problems, f"{place}.{key}", obj[key], limit=TEXT_LIMITS[key])
    products = obj.get("products")
    if products is not None:
        if not isinstance(products, list):
            problems.add(f"{place}.products", f"must be a list of text, got {_describe(products)}")
        else:
            for i, product in enumerate(products):
                _text(problems, f"{place}.products[{i}]", product,
                      limit=TEXT_LIMITS["product"], min_len=1)

    records = obj.get("records")
    if records is None:
        return
    if not isinstance(records, list):
        problems.add(f"{place}.records", f"must be a list of records, got {_describe(records)}")
        return
    seen: dict[tuple[str, str], int] = {}
    for i, record in enumerate(records):
        rplace = f"{place}.records[{i}]"
        validate_record(record, rplace, established, today, problems)
        if isinstance(record, dict):
            key = (record.get("type"), record.get("ref"))
            if isinstance(key[0], str) and isinstance(key[1], str):
                if key in seen:
                    problems.add(f"{rplace}.ref", f"{key[1]!r} repeats records[{seen[key]}] "
                                 f"(type and ref must be unique per enterprise)")
                else:
                    seen[key] = i


def validate_record(obj: Any, place: str, established: dt.date | None, today: dt.date,
                    problems: Problems) -> None:
    """Check one record; ``established`` is the enterprise's date if it was valid."""
    if not isinstance(obj, dict):
        problems.add(place, f"must be an object, got {_describe(obj)}")
        return
    rtype = obj.get("type")
    if rtype is None:
        problems.add(f"{place}.type", "is required")
        return
    if not _one_of(problems, f"{place}.type", rtype, RECORD_TYPES):
        return
    kind = RECORD_KINDS[rtype]
    allowed = set(COMMON_RECORD_FIELDS) | set(kind.field_names)
    if kind.state:
        allowed.add("resolved_on")
    for key in obj:
        if key not in allowed:
            problems.add(f"{place}.{key}", f"is not a field of a {rtype} record")

    if obj.get("ref") is None:
        problems.add(f"{place}.ref", "is required")
    else:
        _text(problems, f"{place}.ref", obj["ref"], limit=TEXT_LIMITS["ref"], min_len=1)
    if obj.get("note") is not None:
        _text(problems, f"{place}.note", obj["note"], limit=TEXT_LIMITS["note"])

    on = None
    if obj.get("date") is None:
        problems.add(f"{place}.date", "is required")
    else:
        on = _date(problems, f"{place}.date", obj["date"], today)
        if on is not None and established is not None and on < established:
            problems.add(f"{place}.date",
                         f"{obj['date']} is before the enterprise was established "
                         f"({established.isoformat()})")

    for spec in kind.fields:
        fplace = f"{place}.{spec.name}"
        value = obj.get(spec.name)
        if value is None:
            if spec.required:
                problems.add(fplace, "is required")
            continue
        if spec.kind == "enum":
            _one_of(problems, fplace, value, spec.values)
        elif spec.kind == "date":
            _date(problems, fplace, value, today, future_ok=True)
        elif spec.kind == "rate":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.add(fplace, f"must be a number from 0 to 1, got {_describe(value)}")
            elif not 0 <= value <= 1:
                problems.add(fplace, f"{value} is not between 0 and 1")

    if rtype == "permit" and obj.get("status") == "rectifying" and obj.get("deadline") is None:
        problems.add(f"{place}.deadline", "is required for a permit under rectification")
    if kind.state and obj.get("resolved_on") is not None:
        resolved = _date(problems, f"{place}.resolved_on", obj["resolved_on"], today)
        if resolved is not None and on is not None and resolved < on:
            problems.add(f"{place}.resolved_on",
                         f"{obj['resolved_on']} is before the record's date {obj['date']}")


@dataclass
class Survey:
    """What a validation pass learnt about a file."""

    enterprises: int = 0
    records: int = 0
    problems: Problems = field(default_factory=Problems)


def validate_file(path: str, today: dt.date) -> Survey:
    """Read the whole file once and collect every problem; nothing is written."""
    survey = Survey()
    try:
        check_top_level(path)
    except ArchiveError as exc:
        survey.problems.add("", str(exc))
        return survey
    seen_uscc: dict[str, int] = {}
    try:
        for i, obj in enumerate(iter_enterprises(path)):
            place = f"enterprises[{i}]"
            survey.enterprises += 1
            validate_enterprise(obj, place, today, survey.problems)
            if isinstance(obj, dict):
                records = obj.get("records")
                if isinstance(records, list):
                    survey.records += len(records)
                uscc = obj.get("uscc")
                if isinstance(uscc, str):
                    if uscc in seen_uscc:
                        survey.problems.add(f"{place}.uscc",
                                            f"{uscc!r} repeats enterprises[{seen_uscc[uscc]}]")
                    else:
                        seen_uscc[uscc] = i
    except ijson.JSONError as exc:
        survey.problems.add("", f"the file is not valid JSON: {_one_line(exc)}")
    except UnicodeDecodeError as exc:
        survey.problems.add("", f"the file is not UTF-8: {exc}")
    return survey


# -- converting --------------------------------------------------------------------------------


def enterprise_values(obj: dict) -> dict[str, Any]:
    """Column values of a valid enterprise object."""
    return {
        "uscc": obj["uscc"],
        "name": obj["name"],
        "district": obj["district"],
        "established_on": dt.date.fromisoformat(obj["established_on"]),
        "qualification": obj.get("qualification") or "valid",
        "industry": obj.get("industry"),
        "address": obj.get("address"),
        "products": list(obj.get("products") or []),
    }


def record_values(obj: dict) -> dict[str, Any]:
    """Column values of a valid record object (detail columns of other types are ``None``)."""
    kind = RECORD_KINDS[obj["type"]]
    values: dict[str, Any] = {
        "type": obj["type"],
        "ref": obj["ref"],
        "date": dt.date.fromisoformat(obj["date"]),
        "note": obj.get("note"),
        "resolved_on": None,
    }
    for name in DETAIL_FIELDS:
        values[name] = None
    for spec in kind.fields:
        value = obj.get(spec.name)
        if value is not None and spec.kind == "date":
            value = dt.date.fromisoformat(value)
        elif value is not None and spec.kind == "rate":
            value = float(value)
        values[spec.name] = value
    if kind.state and obj.get("resolved_on"):
        values["resolved_on"] = dt.date.fromisoformat(obj["resolved_on"])
    return values


def record_object(values: dict[str, Any]) -> dict[str, Any]:
    """The exchange-format object of a record given its column values."""
    kind = RECORD_KINDS[values["type"]]
    out: dict[str, Any] = {"type": kind.name, "ref": values["ref"],
                           "date": values["date"].isoformat()}
    for spec in kind.fields:
        value = values.get(spec.name)
        if value is None:
            continue
        out[spec.name] = value.isoformat() if spec.kind == "date" else value
    if kind.state:
        resolved = values.get("resolved_on")
        out["resolved_on"] = resolved.isoformat() if resolved else None
    if values.get("note") is not None:
        out["note"] = values["note"]
    return out


def enterprise_object(values: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    """The exchange-format object of an enterprise given its column values and records."""
    out: dict[str, Any] = {
        "uscc": values["uscc"],
        "name": values["name"],
        "district": values["district"],
        "established_on": values["established_on"].isoformat(),
        "qualification": values["qualification"],
    }
    for key in ("industry", "address"):
        if values.get(key) is not None:
            out[key] = values[key]
    out["products"] = list(values.get("products") or [])
    out["records"] = [record_object(r) for r in records]
    return out


def write_archive(stream: IO[str], enterprises: Iterable[dict[str, Any]]) -> int:
    """Write an archive document, one enterprise at a time; returns how many were written."""
    stream.write(f'{{\n "format": "{FORMAT}",\n "enterprises": [')
    count = 0
    for obj in enterprises:
        stream.write(",\n  " if count else "\n  ")
        stream.write(json.dumps(obj, ensure_ascii=False))
        count += 1
    stream.write("\n ]\n}\n" if count else "]\n}\n")
    return count

