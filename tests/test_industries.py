"""Industry codes are shown by their GB/T 4754-2017 names."""

from __future__ import annotations

import pytest

from credit.industries import division_choices, industry_label, industry_name
from credit.services.demo import INDUSTRIES


@pytest.mark.parametrize(("code", "name"), [
    ("C1311", "稻谷加工"),          # a class we list
    ("C1399", "农副食品加工业"),     # an unlisted class falls back to its division
    ("C13", "农副食品加工业"),
    ("F5211", "批发和零售业"),       # an unlisted division falls back to its section
    (" c2034 ", "木地板制造"),
])
def test_names(code, name):
    assert industry_name(code, "zh_Hans_CN") == name


@pytest.mark.parametrize("code", [None, "", "ZZ", "C1", "13", "C13111", "<b>"])
def test_unknown_or_malformed_codes_have_no_name(code):
    assert industry_name(code, "zh_Hans_CN") is None


def test_english_and_labels():
    assert industry_name("C1311", "en") == "Rice milling"
    assert industry_label("C1311", "zh_Hans_CN") == "稻谷加工（C1311）"
    assert industry_label("X99", "zh_Hans_CN") == "X99"
    assert industry_label(None) == ""


def test_every_demo_industry_has_its_class_name():
    for industry in INDUSTRIES:
        assert industry_name(industry.code, "zh_Hans_CN") not in (None, "制造业")


def test_division_choices_cover_manufacturing():
    codes = [code for code, _name in division_choices("zh_Hans_CN")]
    assert codes[0] == "C13" and codes[-1] == "C43" and len(codes) == 31
