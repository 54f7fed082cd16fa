"""The archive exchange format ``jms-quality-archive/1``: reading, validating and writing.

Files are read as a stream (ijson): one enterprise object at a time is built in memory, never the
whole document. Validation reports every problem with its place, in the form the specification
shows (``enterprises[3].records[2].result: 'failed' is not one of pass, fail``).

Before the JSON parser sees a file, a byte-level pass (:func:`scan_shape`) refuses shapes no
archive has and that would exhaust the machine: nesting deeper than a few levels (the parser
would build every level), a text or value longer than any field needs (it would read the whole
token, slowly), one enterprise bigger than any real one (it is built in memory whole).
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate, count
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


# -- the shape of the bytes --------------------------------------------------------------------

#: An archive is 5 levels deep (file, enterprises, enterprise, records, record); a little more
#: is allowed so that a misplaced list still gets its ordinary message from the validator.
MAX_DEPTH = 8
#: No field needs more than a few thousand characters (the longest, ``note``, 1000; escaped as
#: \uXXXX, 6 bytes each); a text or any other value longer than this is refused unread.
MAX_TOKEN_BYTES = 64 * 1024
#: A number: a rate is a few digits. (The JSON parser crashes on integers of more than 4,300
#: digits, Python's limit for converting text to int.)
MAX_NUMBER_CHARS = 64
#: One enterprise with its records; a real one takes a few kilobytes.
MAX_ENTERPRISE_BYTES = 16 * 1024 * 1024
_CHUNK_BYTES = 1 << 18
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")  # +1 / -1, shifted by one
_NUMBER_BYTES = frozenset(b"-+.0123456789eE")
_LONG_NUMBER = re.compile(b"[-+.0-9eE]{%d}" % (MAX_NUMBER_CHARS + 1))
_SUSPECT = "suspect"  # a long run of number characters, maybe inside a text: look closer


@dataclass(frozen=True)
class Hazard:
    """Where (a byte offset) and why a file was refused before parsing."""

    offset: int
    problem: str
    levels: int | None = None  # how much of the place at the offset to name (None: all)


def _too_long(what: str) -> str:
    return (f"{what} longer than {MAX_TOKEN_BYTES:,} bytes; no field of an archive needs more "
            "than a few thousand characters")


def _too_deep() -> str:
    return (f"nested more than {MAX_DEPTH} levels deep; an archive has 5 (the file, its "
            "enterprises, an enterprise, its records, a record)")


def _too_big() -> str:
    return (f"one enterprise takes more than {MAX_ENTERPRISE_BYTES // 2**20} MiB of the file; "
            "split its records over several files")


@dataclass
class _Shape:
    """Where a byte-level pass stands between two chunks."""

    in_text: bool = False
    run: int = 0  # bytes of the current text (in_text) or of the gap since the last text
    depth: int = 0
    inside: int = 0  # bytes since the nesting was last at most 2 (the enterprises array)


def scan_shape(f: IO[bytes]) -> Hazard | None:
    """Read the whole file once in bounded memory; the first hazard found, or None.

    Works on chunks with C-speed byte operations only (escaped quotes and backslashes masked,
    split at quotes, brackets outside texts counted), so a large valid file costs little.
    Offsets count from the start of the stream as given (past any byte-order mark).
    """
    shape, base, carry = _Shape(), 0, b""
    while chunk := f.read(_CHUNK_BYTES):
        data = carry + chunk
        start = base - len(carry)
        trailing = len(data) - len(data.rstrip(b"\\"))
        carry = b"\\" if trailing % 2 else b""
        if carry:
            data = data[:-1]
        before = _Shape(**shape.__dict__)
        problem = _scan_chunk(shape, data)
        if problem is not None:
            located = _locate(before, data, start)
            if located is not None:
                return located
            if problem is not _SUSPECT:  # one enterprise too big: name the enterprise
                return Hazard(start + len(data), problem, levels=2)
        base += len(chunk)
    return None


def _scan_chunk(shape: _Shape, data: bytes) -> str | None:
    """Advance ``shape`` over one chunk; the problem found in it, if any (its message is
    refined by :func:`_locate`)."""
    if b"\\" in data:  # mask escapes, keeping their length: only real quotes stay quotes
        data = data.replace(b"\\\\", b"__").replace(b'\\"', b"__")
    size = len(data)
    first, last = data.find(b'"'), data.rfind(b'"')
    # Runs without a quote: a text, or what lies between two texts. Any run longer than the
    # limit covers a whole aligned block of half the limit without a quote.
    if first == -1:
        if shape.run + size > MAX_TOKEN_BYTES:
            return _too_long("a value")
    elif shape.run + first > MAX_TOKEN_BYTES or size - last - 1 > MAX_TOKEN_BYTES:
        return _too_long("a value")
    half = MAX_TOKEN_BYTES // 2
    for block in range(0, size - half + 1, half):
        if data.find(b'"', block, block + half) == -1:
            left = data.rfind(b'"', 0, block)
            right = data.find(b'"', block + half)
            run = (size if right == -1 else right) - left - 1 + (shape.run if left == -1 else 0)
            if run > MAX_TOKEN_BYTES:
                return _too_long("a value")
    if first == -1:
        shape.run += size
        if shape.in_text:
            return _grow(shape, b"", size) or _number_suspect(data)
        return _grow(shape, data.translate(None, _NOT_BRACKETS), size) or _number_suspect(data)
    # From ``start`` on, the chunk is outside any text; ``body`` ends outside one too.
    start = first + 1 if shape.in_text else 0
    ends_in_text = data.count(b'"', start) % 2 == 1
    body = data[start:last] if ends_in_text else data[start:]
    shape.in_text, shape.run = ends_in_text, size - last - 1
    structure = body.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in structure:  # some text holds a bracket: take the texts out one by one
        structure = b"".join(body.split(b'"')[0::2]).translate(None, _NOT_BRACKETS)
    return _grow(shape, structure, size) or _number_suspect(data)


def _profile(brackets: bytes) -> list[int]:
    """The change of depth after each bracket: running sum of the steps less their count."""
    return list(map(operator.sub, accumulate(brackets.translate(_BRACKET_STEPS)), count(1)))


def _grow(shape: _Shape, brackets: bytes, size: int) -> str | None:
    """Follow the nesting over a chunk's brackets (outside texts), in order."""
    lowest = shape.depth
    if brackets:
        # Empty pairs (records, empty lists) removed first, for speed: they hide at most two
        # levels (``[{}]``), and the exact profile is taken when those two levels could matter.
        fewer = brackets.replace(b"{}", b"").replace(b"[]", b"")
        profile = _profile(fewer) if fewer else [0]
        if shape.depth + max(profile) + 2 > MAX_DEPTH:
            profile = _profile(brackets)
            if shape.depth + max(profile) > MAX_DEPTH:
                return _too_deep()
        lowest = min(lowest, shape.depth + min(profile))
        shape.depth += profile[-1]
    if lowest <= 2:  # out of any enterprise at some point of this chunk
        shape.inside = 0 if shape.depth <= 2 else size
    else:
        shape.inside += size
    if shape.inside > MAX_ENTERPRISE_BYTES:
        return _too_big()
    return None


def _number_suspect(data: bytes) -> str | None:
    # a number split by the chunk's edge escapes this, but only if it is at most twice as long
    return _SUSPECT if _LONG_NUMBER.search(data) else None


def _locate(shape: _Shape, data: bytes, start: int) -> Hazard | None:
    """The first too deep or too long value in a chunk, exactly (slow: a refused or suspect
    chunk only). The offset is where the value begins, so that naming its place never means
    parsing it."""
    in_text, run, depth = shape.in_text, shape.run, shape.depth
    run_start = start - run
    escaped, digits, digits_start = False, 0, 0
    for i, byte in enumerate(data):
        if in_text:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_text, run, run_start = False, 0, start + i + 1
                continue
            run += 1
            if run > MAX_TOKEN_BYTES:
                return Hazard(max(0, run_start - 1), _too_long("a text"))
            continue
        if byte == 0x22:
            in_text, run, run_start, digits = True, 0, start + i + 1, 0
            continue
        run += 1
        if byte in _NUMBER_BYTES:
            if not digits:
                digits_start = start + i
            digits += 1
            if digits > MAX_NUMBER_CHARS:
                return Hazard(digits_start, f"a number longer than {MAX_NUMBER_CHARS} "
                                            "characters; no field of an archive needs one")
            continue
        digits = 0
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_DEPTH:
                return Hazard(start + i, _too_deep())
        elif byte in (0x5D, 0x7D):
            depth -= 1
        if run > MAX_TOKEN_BYTES:
            return Hazard(max(0, run_start), _too_long("a value"))
    return None


class _Prefix:
    """The first ``limit`` bytes of a file, as a file."""

    def __init__(self, f: IO[bytes], limit: int) -> None:
        self.f, self.left = f, limit

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.f.read(size) if size > 0 else b""
        self.left -= len(data)
        return data


def place_at(path: str, offset: int, levels: int | None = None) -> str:
    """The place (``enterprises[3].name``) of the value being read at a byte offset (past any
    byte-order mark). Parses only what comes before it."""
    frames: list[list] = []  # [kind, key or index]
    with open_archive(path) as f:
        try:
            for event, value in ijson.basic_parse(_Prefix(f, offset)):
                if event in ("start_map", "start_array"):
                    _next_item(frames)
                    frames.append(["map" if event == "start_map" else "array", None])
                elif event in ("end_map", "end_array"):
                    frames.pop()
                elif event == "map_key":
                    frames[-1][1] = value
                else:
                    _next_item(frames)
        except (ijson.JSONError, UnicodeDecodeError):
            pass
    place = ""
    for kind, key in frames[:levels]:
        if kind == "map" and key is not None:
            place += f".{key}" if place else key
        elif kind == "array" and key is not None:
            place += f"[{key}]"
    return place


def _next_item(frames: list[list]) -> None:
    if frames and frames[-1][0] == "array":
        frames[-1][1] = -1 if frames[-1][1] is None else frames[-1][1]
        frames[-1][1] += 1


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
    #: Each USCC of the file and the index of the enterprise that has it.
    usccs: dict[str, int] = field(default_factory=dict)


def validate_file(path: str, today: dt.date, *,
                  districts: Collection[str] | None = None) -> Survey:
    """Read the whole file and collect every problem; nothing is written.

    A file of a shape no archive has (see :func:`scan_shape`) is refused with that one
    problem, before it is parsed. ``districts``, when given, are the only ones the person
    loading the file may record for: an enterprise of another is a problem at its district.
    """
    survey = Survey()
    with open_archive(path) as f:
        hazard = scan_shape(f)
    if hazard is not None:
        survey.problems.add(place_at(path, hazard.offset, hazard.levels), hazard.problem)
        return survey
    try:
        check_top_level(path)
    except ArchiveError as exc:
        survey.problems.add("", str(exc))
        return survey
    seen_uscc = survey.usccs
    try:
        for i, obj in enumerate(iter_enterprises(path)):
            place = f"enterprises[{i}]"
            survey.enterprises += 1
            validate_enterprise(obj, place, today, survey.problems)
            if districts is not None and isinstance(obj, dict):
                district = obj.get("district")
                if district in DISTRICTS and district not in districts:
                    survey.problems.add(f"{place}.district",
                                        f"{district} is outside your jurisdiction")
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

