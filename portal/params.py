"""Query parameters of the public pages and the API: parsed once, refused with a message that
names the parameter. The API refuses parameters it does not know (a typo such as ``type=A``
must not silently return the unfiltered list); the pages ignore them (tracking tags)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from credit.industries import CLASSES, DIVISIONS, SECTIONS
from credit.vocabulary import DISTRICTS

MAX_PAGE = 10_000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_QUERY = 100


@dataclass
class BadParameter(Exception):
    """A parameter the request cannot be answered with: which one, and why (English)."""

    name: str
    message: str
    code: str = "invalid_parameter"

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


def _int(name: str, low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        if not re.fullmatch(r"[0-9]{1,9}", value.strip()):
            raise BadParameter(name, f"must be a whole number from {low} to {high}")
        number = int(value)
        if not low <= number <= high:
            raise BadParameter(name, f"must be a whole number from {low} to {high}")
        return number
    return parse


def page(value: str) -> int:
    return _int("page", 1, MAX_PAGE)(value)


def per_page(value: str) -> int:
    return _int("per_page", 1, MAX_PER_PAGE)(value)


def district(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if value not in DISTRICTS:
        raise BadParameter("district", "must be one of the 11 jurisdictions: "
                           + "、".join(DISTRICTS))
    return value


def industry(value: str) -> str | None:
    """A GB/T 4754-2017 section, division or listed class code (``C``, ``C13``, ``C1311``)."""
    value = value.strip().upper()
    if not value:
        return None
    if value not in SECTIONS and value not in DIVISIONS and value not in CLASSES:
        raise BadParameter("industry", "must be a GB/T 4754-2017 industry code such as C13")
    return value


def kind(value: str) -> str:
    value = value.strip().upper()
    if value not in ("A", "D"):
        raise BadParameter("kind", "must be A or D")
    return value


def query(value: str) -> str:
    if "\x00" in value:
        raise BadParameter("q", "contains a NUL character")
    value = value.strip()
    if len(value) > MAX_QUERY:
        raise BadParameter("q", f"is longer than {MAX_QUERY} characters")
    return value


_SPACE_BEFORE_OFFSET = re.compile(r"^(.*T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$")


def since(value: str) -> dt.datetime:
    """An ISO 8601 date-time, returned as naive UTC (as the feed stores it). Without an offset
    it is taken as UTC. A ``+`` sent unencoded arrives as a space: it is put back."""
    text = value.strip()
    if match := _SPACE_BEFORE_OFFSET.match(text):
        text = f"{match[1]}+{match[2]}"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise BadParameter("since", "must be an ISO 8601 date-time such as "
                           "2026-10-15T08:00:00Z") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def parse(args: MultiDict, spec: dict[str, tuple[Callable[[str], Any], Any]], *,
          strict: bool) -> dict[str, Any]:
    """``spec``: name -> (parser, default). Repeated parameters are refused; unknown ones too
    when ``strict``."""
    if strict:
        unknown = sorted(set(args) - set(spec))
        if unknown:
            raise BadParameter(unknown[0], "is not a parameter of this address; known: "
                               + ", ".join(sorted(spec)), code="unknown_parameter")
    values = {}
    for name, (parser, default) in spec.items():
        given = args.getlist(name)
        if len(given) > 1:
            raise BadParameter(name, "is given more than once")
        values[name] = parser(given[0]) if given and given[0].strip() != "" else default
    return values
