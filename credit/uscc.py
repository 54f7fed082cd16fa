"""统一社会信用代码 (unified social credit code) per GB 32100-2015.

An 18-character code: registration authority and entity type (2), administrative area (6),
organisation code (9, GB 11714) and a check character over the first 17.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of a USCC, in value order (I, O, S, V and Z are never used)."""

USCC_LENGTH = 18

WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
"""Weights of positions 1..17 (3**i mod 31)."""

_VALUES = {char: value for value, char in enumerate(ALPHABET)}

ORG_BODY_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""Characters of the 8-character body of a GB 11714 organisation code (A=10 .. Z=35)."""

ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_ORG_VALUES = {char: value for value, char in enumerate(ORG_BODY_ALPHABET)}


def check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a code."""
    if len(first17) != USCC_LENGTH - 1:
        raise ValueError(f"need 17 characters, got {len(first17)}")
    total = 0
    for position, (char, weight) in enumerate(zip(first17, WEIGHTS, strict=True), start=1):
        value = _VALUES.get(char)
        if value is None:
            raise ValueError(f"character {char!r} at position {position} is not allowed")
        total += value * weight
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: object) -> str | None:
    """What is wrong with a code, in a short English sentence, or None when it is valid."""
    if not isinstance(code, str):
        return f"must be a string, got {type(code).__name__}"
    if len(code) != USCC_LENGTH:
        return f"must be {USCC_LENGTH} characters, got {len(code)}"
    for position, char in enumerate(code, start=1):
        if char not in _VALUES:
            return f"character {char!r} at position {position} is not allowed"
    expected = check_character(code[:-1])
    if code[-1] != expected:
        return f"check character should be {expected!r}, got {code[-1]!r}"
    return None


def is_valid_uscc(code: object) -> bool:
    """Whether a code is 18 allowed characters ending in the right check character."""
    return uscc_problem(code) is None


def organization_code_check(body: str) -> str:
    """The GB 11714 check character ('0'-'9' or 'X') for an 8-character organisation code body."""
    if len(body) != len(ORG_WEIGHTS):
        raise ValueError(f"organisation code body must be 8 characters, got {len(body)}")
    total = 0
    for position, (char, weight) in enumerate(zip(body, ORG_WEIGHTS, strict=True), start=1):
        value = _ORG_VALUES.get(char)
        if value is None:
            raise ValueError(f"character {char!r} at position {position} is not allowed")
        total += value * weight
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def make_uscc(registration_prefix: str, area_code: str, org_body: str) -> str:
    """Build a valid code from a 2-character prefix, a 6-digit area code and an org code body.

    ``org_body`` is the 8-character body of the organisation code; its GB 11714 check character
    and the GB 32100 check character are computed here.
    """
    if len(registration_prefix) != 2 or any(c not in _VALUES for c in registration_prefix):
        raise ValueError(
            f"registration prefix must be 2 code characters, got {registration_prefix!r}"
        )
    if len(area_code) != 6 or not area_code.isascii() or not area_code.isdigit():
        raise ValueError(f"area code must be 6 digits, got {area_code!r}")
    # GB 11714 allows I, O, S, V and Z in the body, GB 32100 does not
    if any(c not in _VALUES for c in org_body):
        raise ValueError(f"organisation code body {org_body!r} has characters a USCC cannot hold")
    first17 = registration_prefix + area_code + org_body + organization_code_check(org_body)
    return first17 + check_character(first17)
