"""What a workflow transition raises when it cannot happen, and the guards that raise it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.exc import NoInspectionAvailable
from sqlalchemy.orm.exc import StaleDataError

from credit.extensions import db


class WorkflowError(Exception):
    """A transition that cannot happen; the message says why, in plain English."""


class InvalidTransition(WorkflowError):
    """The object is not in a state this transition starts from (or the time is not right)."""


class NotPermitted(WorkflowError):
    """The actor may not do this, here (wrong role, jurisdiction, enterprise, or four eyes)."""


class NotEligible(WorkflowError):
    """The enterprise may not apply at present. The message never names its grade."""

    def __init__(self, message: str = "not eligible at present") -> None:
        super().__init__(message)


class InvalidInput(WorkflowError):
    """A required reason, text or choice is missing or not one of those offered."""


class ConcurrentChange(WorkflowError):
    """Someone else changed the object since it was loaded; reload and try again."""


def optional_text(value: Any, what: str) -> str | None:
    """A free text given by a person: stripped, ``None`` when absent or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text")
    return value.strip() or None


def required_text(value: Any, what: str, missing: str) -> str:
    """A free text that must be given; ``missing`` says why when it is not."""
    text = optional_text(value, what)
    if text is None:
        raise InvalidInput(missing)
    return text


def ensure_state(obj: Any, *allowed: str, doing: str) -> None:
    """Raise InvalidTransition unless ``obj.state`` is one of ``allowed``."""
    if obj.state not in allowed:
        names = " or ".join(str(s) for s in allowed)
        raise InvalidTransition(
            f"cannot {doing}: {_label(obj)} is {obj.state}, it must be {names}"
        )


def ensure(allowed: bool, doing: str, obj: Any) -> None:
    """Raise NotPermitted unless ``allowed``."""
    if not allowed:
        raise NotPermitted(f"you may not {doing} for {_label(obj)}")


def check_version(obj: Any, version: int | None) -> None:
    """Refuse when the caller acted on a version it loaded earlier that is no longer current."""
    if version is not None and obj.version != version:
        raise ConcurrentChange(
            f"{_label(obj)} was changed by someone else (version {version} is now "
            f"{obj.version}); reload it and try again"
        )


def flush(obj: Any) -> None:
    """Flush; a row changed meanwhile by another transaction becomes ConcurrentChange."""
    label = _label(obj)
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise ConcurrentChange(
            f"{label} was changed by someone else meanwhile; nothing was saved, "
            "reload it and try again"
        ) from exc


def _label(obj: Any) -> str:
    name = {
        "APublicationApplication": "A publication application",
        "DCase": "D case",
        "Listing": "listing",
        "RepairApplication": "repair application",
    }.get(type(obj).__name__, type(obj).__name__)
    try:  # the identity map, never a query: the session may be failing
        identity = inspect(obj).identity
    except NoInspectionAvailable:
        identity = None
    ident = identity[0] if identity else None
    return f"{name} {ident}" if ident is not None else name
