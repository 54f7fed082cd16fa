"""Excel workbooks: the import template, reading a filled-in template as an archive, and the
grade list of a jurisdiction.

A workbook is turned into exchange-format objects and then validated and loaded by exactly the
same code as a JSON archive (:mod:`credit.services.exchange`, :mod:`credit.services.importer`);
this module only remembers which cell each value came from, so that every problem the
validator finds in ``enterprises[3].records[1].result`` is shown as sheet, row and column.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select

from credit.extensions import db
from credit.models import Enterprise, Grade, User
from credit.services import audit
from credit.services.exchange import Problems
from credit.services.scoping import scope_to_jurisdiction
from credit.vocabulary import DISTRICTS, QUALIFICATIONS, RECORD_KINDS

ENTERPRISE_SHEET = "企业"
ENTERPRISE_COLUMNS = ("uscc", "name", "district", "established_on", "qualification",
                      "industry", "address", "products")
REQUIRED_ENTERPRISE = ("uscc", "name", "district", "established_on")
DATE_FIELDS = {"established_on", "date", "deadline", "resolved_on"}
PRODUCT_SEPARATORS = re.compile(r"[、;；,，\n]+")
_HEADER_KEY = re.compile(r"[(（]\s*([a-z_]+)\s*[)）]\s*$")


class WorkbookTooLarge(ValueError):
    """The workbook is larger than the browser import accepts; use the command line."""


def record_columns(kind_name: str) -> tuple[str, ...]:
    """The columns of one record type's sheet: exactly the fields that type has."""
    kind = RECORD_KINDS[kind_name]
    return ("uscc", "ref", "date", *kind.field_names,
            *(("resolved_on",) if kind.state else ()), "note")


def sheet_name(kind_name: str) -> str:
    return RECORD_KINDS[kind_name].label


# -- the template ---------------------------------------------------------------------------------


def template_workbook(stream: IO[bytes], labels: dict[str, str],
                      values: Callable[[str, str], str], guide: list[str]) -> None:
    """Write an empty import template: a sheet of enterprises and one per record type.

    ``labels`` names each column in the interface language (the key follows in brackets, and
    is what the importer reads); ``values(field, value)`` describes an allowed value; ``guide``
    is the text of the explanations sheet.
    """
    wb = Workbook()
    notes = wb.active
    notes.title = "说明"
    for line in guide:
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")

    def header(ws, columns: tuple[str, ...], choices: dict[str, tuple[str, ...]]) -> None:
        ws.append([f"{labels.get(c, c)} ({c})" for c in columns])
        for i, column in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=i)
            cell.font, cell.fill = bold, fill
            ws.column_dimensions[get_column_letter(i)].width = max(14, len(cell.value) + 4)
            allowed = choices.get(column)
            if allowed:
                cell.comment = Comment("\n".join(f"{v}: {values(column, v)}" for v in allowed),
                                       "jms")
                rule = DataValidation(type="list", formula1='"' + ",".join(allowed) + '"',
                                      allow_blank=True)
                ws.add_data_validation(rule)
                rule.add(f"{get_column_letter(i)}2:{get_column_letter(i)}10000")
        ws.freeze_panes = "A2"

    ws = wb.create_sheet(ENTERPRISE_SHEET)
    header(ws, ENTERPRISE_COLUMNS, {"district": DISTRICTS, "qualification": QUALIFICATIONS})
    for kind in RECORD_KINDS.values():
        ws = wb.create_sheet(kind.label)
        header(ws, record_columns(kind.name),
               {spec.name: spec.values for spec in kind.fields if spec.kind == "enum"})
    wb.save(stream)


# -- reading a filled-in workbook -----------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """Where a value was: a sheet, a row and (when known) a column letter."""

    sheet: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        return f"{self.sheet}!{self.column or ''}{self.row or ''}"


@dataclass(frozen=True)
class Located:
    """One problem and where it is: a cell of the workbook, or a JSON path."""

    place: Cell | str
    message: str


@dataclass
class Converted:
    """Exchange-format enterprise objects made from a workbook, and where each value was."""

    objects: list[dict] = field(default_factory=list)
    #: JSON path ("enterprises[3].records[1].result") -> the cell or row it came from
    places: dict[str, Cell] = field(default_factory=dict)
    problems: list[Located] = field(default_factory=list)
    rows: int = 0

    def problem(self, place: Cell | str, message: str) -> None:
        self.problems.append(Located(place, message))

    def place_of(self, path: str) -> Cell | str:
        """The cell (or row) a validator path points at; the path itself if unknown."""
        probe = path
        while probe:
            if probe in self.places:
                return self.places[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return path

    def locate(self, problems: Problems) -> list[Located]:
        """Validator problems (``path: message``) with each path turned into a cell."""
        out = []
        for item in problems.items:
            path, sep, message = item.partition(": ")
            out.append(Located(self.place_of(path), message) if sep else Located("", item))
        return out


def check_archive_size(path: str, *, max_uncompressed: int) -> None:
    """Refuse a workbook whose unpacked size is too large (zip bombs included)."""
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ValueError("not an Excel workbook (.xlsx)") from exc
    if total > max_uncompressed:
        raise WorkbookTooLarge(f"the workbook unpacks to {total} bytes")


def _cell_text(value: Any, column: str) -> Any:
    """A cell's value as the exchange format wants it (dates as ISO text, codes as text)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if column == "rate":
            try:
                return float(value.rstrip("%")) / (100 if value.endswith("%") else 1)
            except ValueError:
                return value
        return value
    if column == "rate" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if column in DATE_FIELDS:
        return value  # a number where a date belongs: the validator names it
    return str(value)


def _header(ws, sheet: str, expected: tuple[str, ...], out: Converted) -> dict[int, str]:
    """Column index -> field key, read from the first row."""
    first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    columns: dict[int, str] = {}
    for i, title in enumerate(first):
        if title is None or not str(title).strip():
            continue
        text = str(title).strip()
        match = _HEADER_KEY.search(text)
        key = match.group(1) if match else text
        letter = get_column_letter(i + 1)
        if key not in expected:
            out.problem(Cell(sheet, 1, letter), f"{text!r} is not a column of this sheet "
                                                 f"(columns: {', '.join(expected)})")
            continue
        columns[i] = key
    missing = [c for c in expected if c in ("uscc", "ref", "date", "name", "district",
                                            "established_on") and c not in columns.values()]
    for column in missing:
        out.problem(Cell(sheet, 1), f"the column {column!r} is missing")
    return columns


def _rows(ws, columns: dict[int, str]
          ) -> Iterator[tuple[int, dict[str, Any], dict[str, Cell]]]:
    """(row number, {key: value}, {key: cell}) of each non-empty row after the header; the
    cells include the empty ones, so that a missing value is placed in its column too."""
    letters = {i: get_column_letter(i + 1) for i in columns}
    for number, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        values = {}
        for i, key in columns.items():
            value = _cell_text(row[i] if i < len(row) else None, key)
            if value is not None:
                values[key] = value
        if values:
            yield number, values, {key: Cell(ws.title, number, letters[i])
                                   for i, key in columns.items()}


def read_workbook(path: str, *, max_rows: int,
                  existing: Callable[[list[str]], dict[str, dict]]) -> Converted:
    """Turn a filled-in template into exchange-format objects, remembering each value's cell.

    ``existing(usccs)`` returns the exchange objects (without records) of enterprises already
    in the archive (and the user's jurisdiction), for record rows whose enterprise is not on
    the enterprise sheet. Raises :class:`WorkbookTooLarge` beyond ``max_rows`` rows.
    """
    out = Converted()
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ValueError(f"not a readable Excel workbook: {exc}") from exc
    try:
        sheets = {name: wb[name] for name in wb.sheetnames}
        enterprises: dict[str, dict] = {}
        order: list[str] = []
        where: dict[str, tuple[Cell, dict[str, Cell]]] = {}  # key -> (row, key -> cell)

        def count_row() -> None:
            out.rows += 1
            if out.rows > max_rows:
                raise WorkbookTooLarge(f"more than {max_rows} rows")

        ws = sheets.get(ENTERPRISE_SHEET)
        if ws is not None:
            columns = _header(ws, ENTERPRISE_SHEET, ENTERPRISE_COLUMNS, out)
            for number, values, cells in _rows(ws, columns):
                count_row()
                obj = dict(values)
                if isinstance(obj.get("products"), str):
                    obj["products"] = [p.strip() for p in
                                       PRODUCT_SEPARATORS.split(obj["products"]) if p.strip()]
                obj["records"] = []
                uscc = obj.get("uscc")
                key = uscc if isinstance(uscc, str) and uscc not in enterprises \
                    else f"\0row{number}"
                enterprises[key] = obj
                order.append(key)
                where[key] = (Cell(ENTERPRISE_SHEET, number), cells)
        pending: list[tuple[Cell, Cell, dict, dict[str, Cell]]] = []
        for kind in RECORD_KINDS.values():
            ws = sheets.get(kind.label) or sheets.get(kind.name)
            if ws is None:
                continue
            columns = _header(ws, ws.title, record_columns(kind.name), out)
            for number, values, cells in _rows(ws, columns):
                count_row()
                uscc = values.pop("uscc", None)
                row = Cell(ws.title, number)
                if not uscc:
                    out.problem(cells.get("uscc", row), "the USCC (uscc) is empty")
                    continue
                pending.append((row, cells["uscc"], {"type": kind.name, **values,
                                                     "_uscc": str(uscc)}, cells))
        unknown = sorted({r["_uscc"] for _, _, r, _ in pending} - set(enterprises))
        found = existing(unknown) if unknown else {}
        for uscc in unknown:
            if uscc in found:
                enterprises[uscc] = {**found[uscc], "records": []}
                order.append(uscc)
                where[uscc] = (Cell(ENTERPRISE_SHEET), {})
        for row, uscc_cell, record, cells in pending:
            uscc = record.pop("_uscc")
            target = enterprises.get(uscc)
            if target is None:
                out.problem(uscc_cell, f"no enterprise {uscc} on the {ENTERPRISE_SHEET} "
                                       "sheet or in your jurisdiction")
                continue
            target["records"].append((record, row, cells))
        for i, key in enumerate(order):
            obj = enterprises[key]
            row, cells = where[key]
            base = f"enterprises[{i}]"
            out.places[base] = row
            for k, cell in cells.items():
                out.places[f"{base}.{k}"] = cell
            records = []
            for j, (record, rrow, rcells) in enumerate(obj["records"]):
                rbase = f"{base}.records[{j}]"
                out.places[rbase] = rrow
                for k, cell in rcells.items():
                    out.places[f"{rbase}.{k}"] = cell
                records.append(record)
            out.objects.append({**obj, "records": records})
        if not out.objects and not out.problems:
            out.problem("", f"the workbook has no rows on the {ENTERPRISE_SHEET} sheet "
                            "or the record sheets")
    finally:
        wb.close()
    return out


def existing_enterprises(user: User, usccs: list[str]) -> dict[str, dict]:
    """Exchange objects (no records) of these enterprises in the user's jurisdiction."""
    from credit.services.exchange import ENTERPRISE_COLUMNS as COLUMNS
    from credit.services.exchange import enterprise_object

    found: dict[str, dict] = {}
    for start in range(0, len(usccs), 500):
        stmt = select(*[getattr(Enterprise, c) for c in COLUMNS]).where(
            Enterprise.uscc.in_(usccs[start:start + 500]))
        for row in db.session.execute(scope_to_jurisdiction(stmt, user, Enterprise.district)):
            obj = enterprise_object(row._asdict(), [])
            obj.pop("records")
            found[obj["uscc"]] = obj
    return found


# -- the grade list of a jurisdiction -------------------------------------------------------------


def write_grade_list(stream: IO[bytes], user: User, district: str | None, *,
                     headers: list[str], reason_text: Callable[[str], str],
                     batch: int = 2000) -> int:
    """Write the internal grade list (one row per enterprise, with its reasons) to ``stream``
    in bounded memory (openpyxl write-only, keyset pages of ``batch``), and log the export.
    ``district`` None means every jurisdiction the user has. Returns the number of rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("等级")
    ws.append(headers)
    count, last = 0, 0
    while True:
        stmt = (select(Enterprise.id, Enterprise.uscc, Enterprise.name, Enterprise.district,
                       Enterprise.industry, Grade.grade, Grade.since, Grade.reasons,
                       Grade.unmet)
                .join(Grade, Grade.enterprise_id == Enterprise.id)
                .where(Enterprise.id > last).order_by(Enterprise.id).limit(batch))
        if district:
            stmt = stmt.where(Enterprise.district == district)
        rows = db.session.execute(scope_to_jurisdiction(stmt, user, Enterprise.district)).all()
        if not rows:
            break
        for row in rows:
            reasons = "；".join(f"{r['code']} {reason_text(r['code'])}"
                               + (f"（{'、'.join(r['refs'])}）" if r.get("refs") else "")
                               for r in row.reasons)
            unmet = "；".join(f"{r['code']} {reason_text(r['code'])}" for r in row.unmet or [])
            ws.append([row.uscc, row.name, row.district, row.industry or "", row.grade,
                       row.since, reasons, unmet])
        count += len(rows)
        last = rows[-1].id
    wb.save(stream)
    audit.record("grades.export", "grades", None, actor_id=user.id,
                 after={"format": "xlsx", "district": district or user.jurisdiction or "全市",
                        "enterprises": count})
    return count
