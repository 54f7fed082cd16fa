"""Public search: the rules of the public-site contract, on both databases."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from sqlalchemy import event, select

from credit.extensions import db as _db
from credit.extensions import driver_connection
from credit.models import Enterprise, Grade
from credit.services import search
from credit.services.importer import write_enterprises
from credit.services.search import (
    PublicEnterprise,
    SearchPage,
    _best_first,
    find_enterprise,
    search_enterprises,
)
from credit.uscc import make_uscc
from credit.workflows.errors import InvalidInput

DAY = dt.date(2026, 10, 15)
_numbers = itertools.count(1)


def code(n: int, area: str = "230803") -> str:
    return make_uscc("91", area, f"MA{n:06d}")


def add(db, name: str, district: str = "向阳区", *, uscc: str | None = None) -> Enterprise:
    """An enterprise written through the ORM (as the staff backend does)."""
    enterprise = Enterprise(uscc=uscc or code(next(_numbers)), name=name, district=district,
                            established_on=dt.date(2015, 3, 1), industry="C1311",
                            address="佳木斯市向阳区长安路 1 号")
    db.session.add(enterprise)
    db.session.flush()
    return enterprise


def names(page: SearchPage) -> list[str]:
    return [item.name for item in page.items]


def found(query: str, **kwargs) -> list[str]:
    return names(search_enterprises(query, **kwargs))


@pytest.fixture
def city(db):
    for name, district in [
        ("佳木斯市恒泰木业有限公司", "向阳区"),
        ("桦南县林海木业有限责任公司", "桦南县"),
        ("佳木斯市丰收粮油有限公司", "前进区"),
        ("富锦市北大荒粮油加工厂", "富锦市"),
        ("佳木斯市长兴食品有限公司", "向阳区"),
        ("佳木斯TCL电子3D打印有限公司", "东风区"),
        ("汤原县松江乳业有限公司", "汤原县"),
    ]:
        add(db, name, district)
    db.session.commit()


# -- the rules --------------------------------------------------------------------------------


def test_two_chinese_characters_match_every_name_containing_them(city):
    assert found("木业") == ["佳木斯市恒泰木业有限公司", "桦南县林海木业有限责任公司"]
    assert found("粮油") == ["佳木斯市丰收粮油有限公司", "富锦市北大荒粮油加工厂"]
    assert found("恒泰木业") == ["佳木斯市恒泰木业有限公司"]
    assert found(" 粮 油 ") == found("粮油")


def test_full_pinyin_in_any_case_with_spaces(city):
    for query in ("hengtai", "HengTai Muye", "HENGTAIMUYE", "muye"):
        assert "佳木斯市恒泰木业有限公司" in found(query), query
    assert found("hengtai") == ["佳木斯市恒泰木业有限公司"]
    assert found("liangyou") == ["佳木斯市丰收粮油有限公司", "富锦市北大荒粮油加工厂"]


def test_pinyin_starts_at_a_syllable_and_may_end_inside_one(city):
    assert found("hengt") == ["佳木斯市恒泰木业有限公司"]  # typing, not finished
    assert found("engtai") == []  # not the pinyin of anything in the name
    assert found("ngtaimu") == []


def test_syllable_initials(city):
    assert found("htmy") == ["佳木斯市恒泰木业有限公司"]
    assert found("HT") == ["佳木斯市恒泰木业有限公司"]
    assert found("lhmy") == ["桦南县林海木业有限责任公司"]
    assert found("xyz") == []


def test_polyphonic_characters_read_both_ways_when_the_division_glues_on(city):
    # pypinyin reads 市长 (mayor) as shi zhang; the trade name 长兴 is chang xing.
    assert found("changxing") == ["佳木斯市长兴食品有限公司"]
    assert found("cxsp") == ["佳木斯市长兴食品有限公司"]
    assert found("jiamusishichangxing") == ["佳木斯市长兴食品有限公司"]
    assert found("zhangxing") == ["佳木斯市长兴食品有限公司"]


def test_polyphonic_characters_read_in_their_phrase(db):
    add(db, "佳木斯市银行家具厂")
    add(db, "重庆火锅底料厂")
    db.session.commit()
    assert found("yinhang") == ["佳木斯市银行家具厂"]
    assert found("chongqing") == ["重庆火锅底料厂"]


def test_names_with_latin_letters_and_digits(city):
    assert found("TCL") == ["佳木斯TCL电子3D打印有限公司"]
    assert found("tcl电子") == ["佳木斯TCL电子3D打印有限公司"]
    assert found("3D") == ["佳木斯TCL电子3D打印有限公司"]
    assert found("3d打印") == ["佳木斯TCL电子3D打印有限公司"]
    assert found("ＴＣＬ") == ["佳木斯TCL电子3D打印有限公司"]  # full-width
    assert found("dianzi") == ["佳木斯TCL电子3D打印有限公司"]
    assert found("jmstcldz") == ["佳木斯TCL电子3D打印有限公司"]


def test_whole_and_prefix_of_a_uscc(db):
    a = add(db, "甲企业", uscc=code(1001, "230822"))
    b = add(db, "乙企业", uscc=code(1002, "230822"))
    c = add(db, "丙企业", uscc=code(2001, "230803"))
    db.session.commit()
    assert found(a.uscc) == ["甲企业"]
    assert found(a.uscc.lower()) == ["甲企业"]
    assert found(a.uscc[:12]) == ["甲企业", "乙企业"]
    assert found("91230822") == ["甲企业", "乙企业"]
    assert found("912308") == ["丙企业", "甲企业", "乙企业"]  # by code
    assert found("91230") == []  # 5 characters: not a USCC search
    assert found(c.uscc[:-1] + ("0" if c.uscc[-1] != "0" else "1")) == []
    assert b.uscc not in [item.uscc for item in search_enterprises(a.uscc).items]


def test_district_narrows(city):
    assert found("木业", district="桦南县") == ["桦南县林海木业有限责任公司"]
    assert found("木业", district="郊区") == []
    assert found("木业", district="") == found("木业")
    assert found("木业", district=None) == found("木业")
    with pytest.raises(InvalidInput, match="district"):
        search_enterprises("木业", district="南岗区")


def test_ranking_whole_name_then_start_then_the_rest(db):
    for name in ["佳木斯市恒泰", "恒泰木业有限公司", "恒泰", "恒泰粮油", "东风恒泰木业"]:
        add(db, name)
    db.session.commit()
    # Ties within a tier: by name, then the order the archive received them.
    assert found("恒泰") == ["恒泰", "恒泰木业有限公司", "恒泰粮油", "佳木斯市恒泰", "东风恒泰木业"]


def test_ranking_of_latin_queries(db):
    for name in ["东风恒泰木业", "恒通", "恒泰", "恒泰木业", "华天机械", "佳木斯恒泰"]:
        add(db, name)
    db.session.commit()
    # whole pinyin or initials, pinyin start, initials start (by initials), the rest
    assert found("hengtai") == ["恒泰", "恒泰木业", "东风恒泰木业", "佳木斯恒泰"]
    assert found("ht") == ["恒通", "恒泰", "华天机械", "恒泰木业", "东风恒泰木业", "佳木斯恒泰"]


def test_sqlite_ranking_keeps_each_enterprise_once_in_its_best_tier():
    # Rows as the tiers give them (tier, key, id); an enterprise can be in several tiers,
    # and in tier 0 twice (its whole name and its whole pinyin).
    rows = [(5, "", 3), (1, "b", 3), (1, "a", 7), (0, "", 9), (0, "", 9), (5, "", 1),
            (2, "x", 1), (5, "", 2)]
    assert _best_first(rows, 0, 20) == (5, [9, 7, 3, 1, 2])
    assert _best_first(rows, 1, 3) == (5, [7, 3])
    assert _best_first(rows, 5, 10) == (5, [])
    assert _best_first([], 0, 20) == (0, [])


def test_an_enterprise_gone_between_sqlite_statements_is_left_out(city, monkeypatch):
    """SQLite reads the ranking and the page's facts in two statements; without a
    transaction an enterprise can be deleted in between, and the page simply lacks it."""
    if _db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL reads a page in one statement")
    expected = search_enterprises("木业").items
    ranked = search._best_first

    def with_a_gone_one(rows, start, stop):
        found, ids = ranked(rows, start, stop)
        return found, [ids[0], 10**9, *ids[1:]]

    monkeypatch.setattr(search, "_best_first", with_a_gone_one)
    page = search_enterprises("木业")
    assert page.items == expected and expected
    assert [e.uscc for e in page.by_id().values()] == [e.uscc for e in expected]


def test_a_page_knows_its_items_ids_for_their_listings(db):
    """Each item's internal id, in the items' order, for the page's listings
    (disclosure.listings_of_found); never part of an item."""
    made = [add(db, f"松花江食品{n:02d}厂") for n in range(5)]
    db.session.commit()
    page = search_enterprises("食品", page=2, per_page=2)
    assert page.ids == (made[2].id, made[3].id)
    assert page.by_id() == {made[2].id: page.items[0], made[3].id: page.items[1]}
    assert "ids" not in repr(page) and search_enterprises("无此企业").by_id() == {}
    assert not hasattr(page.items[0], "id")


def test_uscc_ranks_whole_code_first(db):
    named_like_code = add(db, "精密仪器厂")
    other = add(db, "其他企业", uscc=named_like_code.uscc[:10] + "12345678")
    db.session.commit()
    page = search_enterprises(named_like_code.uscc[:10])
    assert {e.uscc for e in page.items} == {named_like_code.uscc, other.uscc}
    assert names(search_enterprises(other.uscc)) == ["其他企业"]


def test_pagination_without_a_count(db):
    for n in range(25):
        add(db, f"松花江食品{n:02d}厂")
    db.session.commit()
    pages = [search_enterprises("食品", page=p, per_page=10) for p in (1, 2, 3, 4)]
    assert [len(p.items) for p in pages] == [10, 10, 5, 0]
    assert [p.has_next for p in pages] == [True, True, False, False]
    assert [(p.page, p.per_page) for p in pages] == [(1, 10), (2, 10), (3, 10), (4, 10)]
    seen = [name for p in pages for name in names(p)]
    assert seen == [f"松花江食品{n:02d}厂" for n in range(25)]
    exact = search_enterprises("食品", per_page=25)
    assert len(exact.items) == 25 and not exact.has_next


def test_results_stop_at_the_window(db, monkeypatch):
    monkeypatch.setattr(search, "MAX_RESULTS", 5)
    for n in range(8):
        add(db, f"兴安岭林业{n}号")
    db.session.commit()
    first = search_enterprises("林业", per_page=3)
    second = search_enterprises("林业", page=2, per_page=3)
    assert (len(first.items), first.has_next) == (3, True)
    assert (len(second.items), second.has_next) == (2, False)
    assert search_enterprises("林业", page=3, per_page=3).items == ()


@pytest.mark.parametrize("query", ["", "   ", "木", "a", "Ｂ", "%", "\t\n"])
def test_too_short_queries_give_an_empty_page(city, query):
    assert search_enterprises(query) == SearchPage((), 1, 20, False)


def test_no_match(city):
    assert search_enterprises("不存在的名称") == SearchPage((), 1, 20, False)
    assert found("业木") == []
    assert found("qqqq") == []


@pytest.mark.parametrize("kwargs, message", [
    ({"page": 0}, "page must"),
    ({"page": -3}, "page must"),
    ({"page": "2"}, "page must"),
    ({"page": True}, "page must"),
    ({"per_page": 0}, "per_page must"),
    ({"per_page": 101}, "per_page must"),
    ({"per_page": 2.5}, "per_page must"),
    ({"district": "哈尔滨"}, "district must"),
])
def test_bad_arguments_are_refused(db, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        search_enterprises("木业", **kwargs)


SPECIAL = ["百分之%公司", "百分之百公司", "下划_线厂", "下划线厂", "奥'尼尔商行", "奥尼尔商行",
           "反\\斜杠厂", "反斜杠厂", "<b>标记</b>公司", "b标记公司", "双引号\"厂"]


@pytest.mark.parametrize("query, expected", [
    ("%公", ["百分之%公司"]),
    ("之%", ["百分之%公司"]),
    ("%%", []),
    ("_线", ["下划_线厂"]),
    ("__", []),
    ("'尼", ["奥'尼尔商行"]),
    ("''", []),
    ("\\斜", ["反\\斜杠厂"]),
    ("\\\\", []),
    ("<b>", ["<b>标记</b>公司"]),
    ("</b>公司", ["<b>标记</b>公司"]),
    ('号"', ["双引号\"厂"]),
    ('" OR 1=1 --', []),
    ("*", []),
    ("公司' OR '1'='1", []),
])
def test_sql_and_markup_characters_are_plain(db, query, expected):
    for name in SPECIAL:
        add(db, name)
    db.session.commit()
    assert found(query) == expected


def test_results_are_registration_facts(city):
    (item,) = search_enterprises("恒泰").items
    assert isinstance(item, PublicEnterprise)
    assert item == PublicEnterprise(
        uscc=item.uscc, name="佳木斯市恒泰木业有限公司", district="向阳区",
        established_on=dt.date(2015, 3, 1), industry="C1311", address="佳木斯市向阳区长安路 1 号")


# -- the index follows every write ------------------------------------------------------------


def firm(n: int, name: str, district: str = "向阳区", *records: dict) -> dict:
    return {"uscc": code(n), "name": name, "district": district,
            "established_on": "2012-05-20", "records": list(records)}


def test_import_insert_and_update_keep_the_index(db):
    write_enterprises([firm(1, "佳木斯市恒泰木业有限公司"), firm(2, "桦南县林海木业有限公司")],
                      today=DAY, source="test")
    db.session.commit()
    assert found("htmy") == ["佳木斯市恒泰木业有限公司"]
    write_enterprises([firm(1, "佳木斯市鸿达粮油有限公司", "郊区")], today=DAY, source="test")
    db.session.commit()
    assert found("恒泰") == [] and found("hengtai") == [] and found("htmy") == []
    assert found("鸿达") == ["佳木斯市鸿达粮油有限公司"]
    assert found("hongda") == found("hdly") == ["佳木斯市鸿达粮油有限公司"]
    assert found("粮油", district="郊区") == ["佳木斯市鸿达粮油有限公司"]
    assert found("粮油", district="向阳区") == []
    assert found("木业") == ["桦南县林海木业有限公司"]


def test_orm_update_and_delete_keep_the_index(db):
    enterprise = add(db, "佳木斯市恒泰木业有限公司")
    db.session.commit()
    enterprise.name = "佳木斯市松江乳业有限公司"
    db.session.commit()
    assert found("恒泰") == [] and found("htmy") == []
    assert found("乳业") == found("songjiang") == found("sjry") == ["佳木斯市松江乳业有限公司"]
    enterprise.district = "前进区"
    db.session.commit()
    assert found("乳业", district="前进区") == ["佳木斯市松江乳业有限公司"]
    db.session.delete(enterprise)
    db.session.commit()
    assert found("乳业") == found("songjiang") == found("sjry") == []


def test_stored_pinyin_follows_the_name(db):
    enterprise = add(db, "佳木斯市恒泰木业有限公司")
    assert enterprise.name_pinyin == "jia mu si shi heng tai mu ye you xian gong si"
    assert enterprise.name_initials == "jmsshtmyyxgs"
    enterprise.name = "长兴"
    assert (enterprise.name_pinyin, enterprise.name_initials) == ("chang xing", "cx")


# -- nothing but registration facts -----------------------------------------------------------

COUNTERFEIT = {"type": "violation", "date": "2026-03-15", "category": "counterfeit",
               "severity": "general", "ref": "V-1"}
FAIL = {"type": "spot_check", "date": "2026-04-11", "subject": "product", "result": "fail",
        "ref": "F-1"}


class _Recording:
    """A driver connection that notes the text of every statement run on it."""

    def __init__(self, raw, statements: list[str]) -> None:
        self._raw, self._statements = raw, statements

    def execute(self, statement, *args, **kwargs):
        self._statements.append(str(statement).lower())
        return self._raw.execute(statement, *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._raw, name)


def test_search_is_blind_to_grades_and_records(db, monkeypatch):
    """Firms graded D, A, C and B look alike: same order (by id), same fields, and search reads
    the enterprises table alone."""
    firms = [firm(1, "松江乳业甲厂", "向阳区", COUNTERFEIT), firm(2, "松江乳业乙厂"),
             firm(3, "松江乳业丙厂", "向阳区", FAIL), firm(4, "松江乳业丁厂")]
    firms[3]["established_on"] = "2025-06-01"
    write_enterprises(firms, today=DAY, source="test")
    db.session.commit()
    grades = db.session.execute(select(Enterprise.name, Grade.grade).join(Grade)).all()
    assert sorted(g for _, g in grades) == ["A", "B", "C", "D"]

    statements: list[str] = []

    def capture(conn, cursor, statement, *args):
        statements.append(statement.lower())

    def recording_connection():  # the search and find_enterprise run SQL on the driver's
        raw, dialect = driver_connection()
        return _Recording(raw, statements), dialect

    monkeypatch.setattr(search, "driver_connection", recording_connection)
    event.listen(_db.engine, "before_cursor_execute", capture)
    try:
        pages = [search_enterprises(q) for q in ("松江乳业", "乳业", "ruye", "ry")]
        one = find_enterprise(firms[0]["uscc"])
    finally:
        event.remove(_db.engine, "before_cursor_execute", capture)
    in_order = ["松江乳业甲厂", "松江乳业乙厂", "松江乳业丙厂", "松江乳业丁厂"]
    assert names(pages[0]) == sorted(in_order)  # names that start with the query: by name
    for page in pages[1:]:
        assert names(page) == in_order  # the other matches: in the order they came
    assert one.name == "松江乳业甲厂"
    assert sum("from enterprises" in statement for statement in statements) >= 5
    others = [re.compile(rf"\b{table}\b") for table in _db.metadata.tables
              if table != "enterprises"]
    assert len(others) > 20  # grades, records, listings, d_cases, users, ...
    for statement in statements:
        for table in others:
            assert not table.search(statement), statement


# -- one enterprise ---------------------------------------------------------------------------


def test_find_enterprise(city):
    (item,) = search_enterprises("恒泰").items
    assert find_enterprise(item.uscc) == item
    assert find_enterprise(code(999_999)) is None  # well formed, unknown
    assert find_enterprise(item.uscc.lower()) is None
    assert find_enterprise(item.uscc[:-1] + ("0" if item.uscc[-1] != "0" else "1")) is None
    assert find_enterprise("") is None
    assert find_enterprise("' OR 1=1 --") is None
