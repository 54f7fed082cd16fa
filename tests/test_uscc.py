"""统一社会信用代码 checks (GB 32100-2015) and the GB 11714 organisation code helper."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credit.uscc import (
    ALPHABET,
    check_character,
    is_valid_uscc,
    make_uscc,
    organization_code_check,
    uscc_problem,
)

# from the project's sample archive (tests/data/sample-archive.json)
SAMPLE_CODES = [
    "912308041043321813",
    "91230822196001338R",
    "9123088289083863XH",
    "91230881794026543G",
    "912308282351161555",
    "912308055940781625",
    "91230883184959311N",
    "9123088203413164XF",
]


def test_alphabet_is_31_distinct_characters_without_i_o_s_v_z() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert not set("IOSVZ") & set(ALPHABET)


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_sample_codes_are_valid(code: str) -> None:
    assert is_valid_uscc(code)
    assert uscc_problem(code) is None
    assert check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_make_uscc_rebuilds_sample_codes(code: str) -> None:
    assert make_uscc(code[:2], code[2:8], code[8:16]) == code


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_every_single_substitution_of_a_sample_code_is_invalid(code: str) -> None:
    for position, original in enumerate(code):
        for char in ALPHABET:
            if char != original:
                changed = code[:position] + char + code[position + 1 :]
                assert not is_valid_uscc(changed), changed


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("", "must be 18 characters, got 0"),
        ("91230804104332181", "must be 18 characters, got 17"),
        ("9123080410433218133", "must be 18 characters, got 19"),
        ("9123I8041043321813", "character 'I' at position 5 is not allowed"),
        ("9123080410433218O3", "character 'O' at position 17 is not allowed"),
        ("91230804104332181S", "character 'S' at position 18 is not allowed"),
        ("912308041043321z13", "character 'z' at position 16 is not allowed"),
        ("91230804104332181 ", "character ' ' at position 18 is not allowed"),
        ("９12308041043321813", "character '９' at position 1 is not allowed"),
        ("912308041043321814", "check character should be '3', got '4'"),
        ("91230822196001338X", "check character should be 'R', got 'X'"),
        # the illustration in archive-exchange.md is not a valid code
        ("91230803MA1C2D3E4X", "check character should be 'K', got 'X'"),
        (912308041043321813, "must be a string, got int"),
        (None, "must be a string, got NoneType"),
    ],
)
def test_problem_names_what_is_wrong(code: object, problem: str) -> None:
    assert uscc_problem(code) == problem
    assert not is_valid_uscc(code)


@pytest.mark.parametrize(
    "first17", ["", "9123080410433218", "91230804104332181X", "9123080410433218I"]
)
def test_check_character_refuses_bad_input(first17: str) -> None:
    with pytest.raises(ValueError):
        check_character(first17)


def test_check_zero_when_sum_is_a_multiple_of_31() -> None:
    assert check_character("0" * 17) == "0"
    assert is_valid_uscc("0" * 18)


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("10433218", "1"),
        ("89083863", "X"),  # 11 - 1 = 10
        ("03413164", "X"),
        ("23511615", "5"),
        ("00000000", "0"),  # 11 - 0 = 11
        ("MA1C2D3E", "X"),  # letters count A=10 .. Z=35
    ],
)
def test_organization_code_check(body: str, check: str) -> None:
    assert organization_code_check(body) == check


@pytest.mark.parametrize("body", ["1043321", "104332181", "1043321a", "1043-218"])
def test_organization_code_check_refuses_bad_bodies(body: str) -> None:
    with pytest.raises(ValueError):
        organization_code_check(body)


@pytest.mark.parametrize(
    ("prefix", "area", "body"),
    [
        ("9", "230804", "10433218"),
        ("9I", "230804", "10433218"),
        ("91", "23080", "10433218"),
        ("91", "23O804", "10433218"),
        ("91", "230804", "1043321"),
        ("91", "230804", "MA1ZZZZZ"),  # Z is fine for GB 11714, not for GB 32100
    ],
)
def test_make_uscc_refuses_bad_parts(prefix: str, area: str, body: str) -> None:
    with pytest.raises(ValueError):
        make_uscc(prefix, area, body)


def test_make_uscc_with_a_new_style_body() -> None:
    code = make_uscc("91", "230803", "MA1C2D3E")
    assert code[:17] == "91230803MA1C2D3EX"
    assert is_valid_uscc(code)


_code_chars = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


@given(first17=_code_chars)
def test_appending_the_check_character_gives_a_valid_code(first17: str) -> None:
    assert is_valid_uscc(first17 + check_character(first17))


@given(
    first17=_code_chars,
    position=st.integers(min_value=0, max_value=17),
    shift=st.integers(min_value=1, max_value=30),
)
def test_any_single_substitution_is_detected(first17: str, position: int, shift: int) -> None:
    # 31 is prime and no weight is 0 mod 31, so every single substitution changes the sum
    code = first17 + check_character(first17)
    replacement = ALPHABET[(ALPHABET.index(code[position]) + shift) % 31]
    changed = code[:position] + replacement + code[position + 1 :]
    assert not is_valid_uscc(changed)
    assert uscc_problem(changed) is not None
