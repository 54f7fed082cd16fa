"""The search index: it follows every write, it serves exactly the rules (compared with a plain
reading of them), FTS syntax is plain text, and long result lists stop at the cap."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from sqlalchemy import select, text

from credit.extensions import db as _db
from credit.models import Enterprise
from credit.names import (
    BARRIER,
    INITIALS_TRIGRAMS,
    PAIR_SEPARATOR,
    PAIRS_IN_DISTRICT,
    PINYIN_PAIRS,
    compact,
    index_terms,
    initials_terms,
    pinyin_columns,
    pinyin_phrases,
    plain_text,
    search_document,
    segmentations,
)
from credit.services import search
from credit.services.bulk import insert_rows
from credit.services.importer import write_enterprises
from credit.services.search import parse_query, search_enterprises
from credit.uscc import make_uscc
from credit.vocabulary import DISTRICTS

DAY = dt.date(2026, 10, 15)
_numbers = itertools.count(50_001)


def code(n: int, area: str = "230803") -> str:
    return make_uscc("91", area, f"MA{n:06d}")


def add(db, name: str, district: str = "向阳区", *, uscc: str | None = None) -> Enterprise:
    enterprise = Enterprise(uscc=uscc or code(next(_numbers)), name=name, district=district,
                            established_on=dt.date(2015, 3, 1))
    db.session.add(enterprise)
    db.session.flush()
    return enterprise


def found(query: str, **kwargs) -> list[str]:
    return [item.name for item in search_enterprises(query, **kwargs).items]


def check_index(db) -> None:
    """SQLite: the FTS5 table agrees with its content (the stored terms)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text(
            "INSERT INTO enterprise_search(enterprise_search) VALUES ('integrity-check')"))


# -- a plain reading of the rules, row by row (the first version of the service) ---------------


def _pinyin_contains(units: list[str], letters: str) -> bool:
    for syllables, tail in segmentations(letters):
        k = len(syllables)
        for i in range(len(units) - k):
            if tuple(units[i:i + k]) == syllables and units[i + k].startswith(tail):
                return True
    return False


def _rank(q, row):
    pinyin_key = row.name_pinyin.replace(" ", "")
    initials_first = row.name_initials.split("|", 1)[0]
    if (row.name == q.text or (q.uscc is not None and row.uscc == q.uscc)
            or (q.letters is not None
                and q.letters in (compact(row.name_pinyin), initials_first))):
        return (0, "", row.id)
    if row.name.startswith(q.text):
        return (1, row.name, row.id)
    if q.letters is not None and compact(row.name_pinyin).startswith(q.letters):
        return (2, pinyin_key, row.id)
    if q.letters is not None and initials_first.startswith(q.letters):
        return (3, row.name_initials, row.id)
    if q.uscc is not None and row.uscc.startswith(q.uscc):
        return (4, row.uscc, row.id)
    if q.plain in plain_text(row.name):
        return (5, "", row.id)
    if q.letters is not None:
        if any(_pinyin_contains(r.split(), q.letters) for r in row.name_pinyin.split("|")):
            return (5, "", row.id)
        if any(q.letters in initials for initials in row.name_initials.split("|")):
            return (5, "", row.id)
    return None


def reference(query: str, district: str | None = None) -> list[str]:
    q = parse_query(query)
    if q is None:
        return []
    stmt = select(Enterprise.id, Enterprise.uscc, Enterprise.name, Enterprise.name_pinyin,
                  Enterprise.name_initials)
    if district:
        stmt = stmt.where(Enterprise.district == district)
    rows = {row.id: row for row in _db.session.execute(stmt)}
    ranked = sorted((key, i) for i, row in rows.items() if (key := _rank(q, row)) is not None)
    return [rows[i].name for _, i in ranked[:search.MAX_RESULTS]]


PIECES = ["佳木斯", "市", "恒泰", "恒", "泰", "木业", "有限", "公司", "长兴", "银行", "重庆",
          "汤原县", "桦南县", "粮油", "食品", "厂", "TCL", "3D", "ab", "Ab", "%", "_", "\"",
          "'", "*", " ", "-", "：", "ｘ", "安", "西安", "先", "仙", "乐", "行", "吕"]


def test_the_index_serves_exactly_the_rules(db):
    rng = random.Random(7)
    for _ in range(160):
        name = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6))).strip() or "厂"
        add(db, name[:100], rng.choice(DISTRICTS[:3]))
    db.session.commit()
    check_index(db)
    rows = db.session.execute(select(Enterprise.name, Enterprise.name_pinyin,
                                     Enterprise.name_initials, Enterprise.uscc)).all()
    queries = {"恒泰", "有限公司", "佳木斯市", "ab", "AB", "%", "%_", "xian", "xia", "xi", "hengt",
               "ht", "jms", "jiamusi", "jmss", "tcl", "3d", "gongs", "yinhang", "yinh", "le",
               "lv", "hang", "xing", "zhang", "chongq", "\"*", "安西", "西安", "xian3d"}
    for row in rng.sample(rows, 25):
        name = row.name
        for size in (2, 3):
            if len(name) > size:
                at = rng.randrange(len(name) - size + 1)
                queries.add(name[at:at + size])
        queries.add(name)
        syllables = row.name_pinyin.split("|")[0].split()
        if syllables:
            at = rng.randrange(len(syllables))
            queries.add("".join(syllables[at:at + 2]) + "")
            queries.add("".join(syllables[at:at + 2])[:-1])
        queries.add(row.name_initials.split("|")[0][1:4])
        queries.add(row.uscc[:8])
        queries.add(row.uscc)
    for query in sorted(queries):
        for district in (None, DISTRICTS[1]):
            assert found(query, district=district, per_page=100) == \
                reference(query, district)[:100], (query, district)


def test_postgresql_documents_hold_syllable_pairs_and_initials_trigrams():
    name = "佳木斯市长兴粮油"
    columns = pinyin_columns(name)
    plain = index_terms(name, columns["name_pinyin"], columns["name_initials"], "郊区")
    paired = index_terms(name, columns["name_pinyin"], columns["name_initials"], "郊区",
                         gin=True)
    assert not [t for t in plain if t.startswith((PINYIN_PAIRS, INITIALS_TRIGRAMS))]
    at = [n for n, t in enumerate(paired) if t.startswith(PINYIN_PAIRS)]
    pairs = paired[at[0]:at[-1] + 1]
    # Both readings (市长 shi zhang; the trade name 长兴 chang xing), a barrier between them.
    first = ["jia·mu", "mu·si", "si·shi", "shi·zhang", "zhang·xing", "xing·liang",
             "liang·you"]
    second = [p.replace("zhang", "chang") for p in first]
    assert pairs == [PINYIN_PAIRS + p for p in first] + [BARRIER] + \
        [PINYIN_PAIRS + p for p in second]
    postgresql = search_document("桦南县富民粮油", "hua nan xian fu min liang you", "hnxfmly",
                                 "桦南县", "postgresql")
    assert "'pqxian·fu'" in postgresql and "'thnx'" in postgresql and "'tmly'" in postgresql
    sqlite = search_document("桦南县富民粮油", "hua nan xian fu min liang you", "hnxfmly",
                             "桦南县", "sqlite").split()
    assert not [t for t in sqlite if t.startswith((PINYIN_PAIRS, INITIALS_TRIGRAMS))]


def test_postgresql_documents_hold_the_pairs_behind_the_district():
    name = "佳木斯市长兴粮油"
    columns = pinyin_columns(name)
    terms = index_terms(name, columns["name_pinyin"], columns["name_initials"], "郊区",
                        gin=True)
    pairs = [t for t in terms if t.startswith(PINYIN_PAIRS)]
    behind = [t for t in terms if t.startswith(PAIRS_IN_DISTRICT)]
    # The same pairs in the same order, both readings, a barrier between them.
    assert behind == [PAIRS_IN_DISTRICT + "郊区" + PAIR_SEPARATOR + t[len(PINYIN_PAIRS):]
                      for t in pairs]
    at = terms.index(behind[0])
    assert terms[at:at + len(behind) + 1].count(BARRIER) == 1
    assert not [t for t in index_terms(name, columns["name_pinyin"], columns["name_initials"],
                                       "郊区") if t.startswith(PAIRS_IN_DISTRICT)]
    assert pinyin_phrases("jiamus", gin=True, district="桦南县")[0] == (
        ["pd桦南县·jia·mu"], "pd桦南县·mu·s")


def test_pinyin_queries_read_pairs_where_the_index_has_them():
    assert pinyin_phrases("xianfu")[0] == (["pynxian"], "pynfu")
    readings = pinyin_phrases("xianfu", gin=True)
    assert readings[0] == ([], "pqxian·fu")  # one term, read as a prefix
    assert (["pqxi·an"], "pqan·fu") in readings
    assert pinyin_phrases("xian", gin=True)[0] == ([], "pynxian")  # one syllable: itself
    assert initials_terms("jmss") == ["ijm", "ims", "iss"]
    assert initials_terms("jmss", gin=True) == ["tjms", "tmss"]
    assert initials_terms("jm", gin=True) == ["ijm"]


def test_pages_walk_the_same_order(db, monkeypatch):
    monkeypatch.setattr(search, "MAX_RESULTS", 30)
    for n in range(40):
        add(db, ["恒泰木业", "木业恒泰", "佳木斯恒泰", "恒泰"][n % 4] + f"{n:02d}")
    add(db, "恒泰")
    db.session.commit()
    for query in ("恒泰", "hengtai", "ht", "木业"):
        pages = [search_enterprises(query, page=p, per_page=7) for p in range(1, 7)]
        walked = [item.name for p in pages for item in p.items]
        assert walked == reference(query)[:30], query
        if query == "木业":  # 20 matches
            assert [p.has_next for p in pages] == [True, True, False, False, False, False]
            assert not any(p.truncated for p in pages)
        else:  # 41 matches, 30 served
            assert [p.has_next for p in pages] == [True, True, True, True, False, False]
            assert [p.truncated for p in pages] == [False] * 4 + [True, True]


# -- every write path keeps the index ---------------------------------------------------------


def test_a_rename_is_searchable_at_once(db):
    enterprise = add(db, "佳木斯市恒泰木业有限公司")
    assert found("恒泰") == ["佳木斯市恒泰木业有限公司"]
    enterprise.name = "佳木斯市鸿达粮油有限公司"
    db.session.flush()  # no commit: the same transaction sees the new name
    assert found("恒泰") == [] and found("hengtai") == [] and found("htmy") == []
    assert found("鸿达") == found("hongda") == found("hdly") == ["佳木斯市鸿达粮油有限公司"]
    db.session.commit()
    check_index(db)


def test_district_change_moves_the_enterprise(db):
    enterprise = add(db, "汤原县松江乳业有限公司", "汤原县")
    db.session.commit()
    enterprise.district = "郊区"
    db.session.commit()
    assert found("乳业", district="郊区") == found("sjry", district="郊区") == [enterprise.name]
    assert found("乳业", district="汤原县") == found("ruye", district="汤原县") == []
    check_index(db)


def test_other_edits_leave_the_terms_alone(db):
    enterprise = add(db, "汤原县松江乳业有限公司", "汤原县")
    db.session.commit()
    before = db.session.scalar(select(Enterprise.search_terms))
    enterprise.address = "汤原县新街 3 号"
    db.session.commit()
    assert db.session.scalar(select(Enterprise.search_terms)) == before
    assert found("乳业") == [enterprise.name]


def test_delete_leaves_the_index(db):
    keep, gone = add(db, "松江乳业甲厂"), add(db, "松江乳业乙厂")
    db.session.commit()
    db.session.delete(gone)
    db.session.commit()
    assert found("乳业") == found("ruye") == found("sjry") == [keep.name]
    check_index(db)


def test_bulk_import_batches_are_indexed(db, app, monkeypatch):
    monkeypatch.setitem(app.config, "BATCH_SIZE", 7)
    firms = [{"uscc": code(n), "name": f"桦南县林海木业{n:02d}厂", "district": "桦南县",
              "established_on": "2012-05-20", "records": []} for n in range(1, 31)]
    write_enterprises(firms, today=DAY, source="test")
    db.session.commit()
    assert len(found("林海", per_page=100)) == 30
    assert len(found("linhai", per_page=100, district="桦南县")) == 30
    firms[3]["name"] = "桦南县白桦乳业厂"
    write_enterprises(firms[:5], today=DAY, source="test")
    db.session.commit()
    assert found("白桦") == found("baihua") == ["桦南县白桦乳业厂"]
    assert len(found("林海", per_page=100)) == 29
    check_index(db)


def test_core_inserts_with_the_terms_are_indexed(db):
    from credit.names import pinyin_columns, search_document

    dialect = db.session.get_bind().dialect.name
    rows = []
    for n, name in enumerate(["富锦市北大荒粮油加工厂", "富锦市大荒木业厂"]):
        columns = pinyin_columns(name)
        rows.append({"uscc": code(90 + n), "name": name, "district": "富锦市",
                     "established_on": dt.date(2010, 1, 1), "qualification": "valid",
                     "products": [], **columns,
                     "search_terms": search_document(name, columns["name_pinyin"],
                                                     columns["name_initials"], "富锦市",
                                                     dialect)})
    insert_rows(Enterprise.__table__, rows)
    db.session.commit()
    assert found("大荒") == found("dahuang") == ["富锦市北大荒粮油加工厂", "富锦市大荒木业厂"]
    check_index(db)


def test_reindex_is_idempotent(db, cli):
    add(db, "佳木斯市恒泰木业有限公司")
    add(db, "汤原县松江乳业有限公司", "汤原县")
    db.session.commit()
    db.session.execute(text("UPDATE enterprises SET search_terms = NULL"))
    db.session.commit()
    assert found("恒泰") == []  # the prefix tiers still find names that start with it
    for _ in range(2):
        result = cli("search", "reindex")
        assert result.exit_code == 0, result.output
        assert "2 enterprises" in result.output
        assert found("恒泰") == found("hengtai") == ["佳木斯市恒泰木业有限公司"]
        assert found("乳业", district="汤原县") == ["汤原县松江乳业有限公司"]
        check_index(db)


def segments(db) -> int:
    return db.session.scalar(text("SELECT count(DISTINCT segid) FROM enterprise_search_idx"))


def unmerged(db) -> int:
    """What writes left aside in the full-text index: SQLite's FTS5 segments beyond one;
    PostgreSQL's pages of GIN's pending list, read by merging them (``gin_clean_pending_list``
    returns how many it moved), so that reading empties the list."""
    if db.engine.dialect.name == "sqlite":
        return segments(db) - 1
    return db.session.scalar(text(
        "SELECT gin_clean_pending_list('ix_enterprises_search_terms'::regclass)"))


def test_bulk_writes_leave_the_full_text_index_merged(db, cli, today, monkeypatch, write_json,
                                                        sample_archive):
    """What ordinary writes leave aside (FTS5's segments, a transaction each; GIN's pending
    list, which every search through GIN reads whole) is merged by a reindex and a large import,
    so that a query reads the index alone."""
    today()
    for name in ["佳木斯市恒泰木业有限公司", "汤原县松江乳业有限公司", "富锦市大荒木业厂"]:
        add(db, name)
        db.session.commit()
    if db.engine.dialect.name == "sqlite":
        assert segments(db) >= 3  # and what earlier tests' deletions left
    assert cli("search", "reindex").exit_code == 0
    assert unmerged(db) == 0
    add(db, "桦川县星火米业有限公司")
    db.session.commit()
    assert unmerged(db) == 1  # ordinary writes are not merged (PostgreSQL: merged by reading)
    monkeypatch.setattr("credit.cli.MERGE_AFTER", 1)  # the sample is a small archive
    result = cli("import", str(write_json(sample_archive)))
    assert result.exit_code == 0, result.output
    assert unmerged(db) == 0
    assert found("恒泰") == found("hengtai") == ["佳木斯市恒泰木业有限公司"]
    check_index(db)


def test_a_small_import_leaves_the_index_to_itself(db, cli, today, write_json, sample_archive):
    today()
    result = cli("import", str(write_json(sample_archive)))
    assert result.exit_code == 0, result.output
    assert unmerged(db) >= 1


def test_the_demo_archive_leaves_the_full_text_index_merged(db, cli, today):
    today()
    assert cli("demo", "--enterprises", "30", "--seed", "3").exit_code == 0
    assert unmerged(db) == 0
    check_index(db)


@pytest.mark.postgresql
def test_gin_keeps_a_small_pending_list(db):
    """Every search through GIN reads its pending list whole: at PostgreSQL's default of 4 MB
    that cost a search up to 1.9 ms, so the index keeps 64 kB at most."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("GIN is PostgreSQL's; run with TEST_DATABASE_URL pointing at PostgreSQL")
    options = db.session.scalar(text(
        "SELECT reloptions FROM pg_class WHERE relname = 'ix_enterprises_search_terms'"))
    assert options == ["gin_pending_list_limit=64"]
    # Writes beyond it are merged by the writer: 300 documents (about 90 pages of pending list
    # at the default) never leave more than 64 kB.
    db.session.add_all(Enterprise(uscc=code(next(_numbers)), name=f"佳木斯市第{n}号木业有限公司",
                                  district="向阳区", established_on=DAY) for n in range(300))
    db.session.commit()
    assert unmerged(db) <= 8  # 8 kB pages


# -- queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ['"', '""', '"恒', "恒泰*", "*", "**", "NEAR", "NEAR(恒 泰)",
                                   "AND", "恒 AND 泰", "OR", "恒 OR 泰", "NOT", "(", "()",
                                   "(恒泰", "^", "^恒泰", ":", "c:恒泰", "-", "恒-泰", "-恒泰",
                                   "{恒泰}", "恒泰:*", "恒泰 <-> 木业", "恒泰&木业", "恒泰|木业",
                                   "!恒泰", "\\", "'", "+", "恒泰\x00"])
def test_full_text_syntax_is_plain_text(db, query):
    names = ["佳木斯市恒泰木业有限公司", "恒泰木业", "木业恒泰", "NEAR AND OR NOT 厂",
             '双引号"恒泰*厂', "冒号c:恒泰:*厂", "减号-恒泰厂", "括号(恒泰)厂", "^恒泰^厂",
             "{恒泰}厂", "恒泰&木业|厂", "恒泰 <-> 木业厂", "!恒泰!厂"]
    for name in names:
        add(db, name)
    db.session.commit()
    assert found(query, per_page=100) == reference(query)[:100], query


def test_fts_words_in_names_are_found(db):
    add(db, "NEAR AND OR NOT 厂")
    add(db, "括号(恒泰)厂")
    db.session.commit()
    assert found("near") == found("ANDOR") == found("ornot") == ["NEAR AND OR NOT 厂"]
    assert found("(恒") == found("泰)") == ["括号(恒泰)厂"]


def test_common_fragments_answer_the_first_page(db, monkeypatch):
    monkeypatch.setattr(search, "MAX_RESULTS", 25)
    for n in range(60):
        add(db, f"佳木斯市{n:02d}号有限公司", DISTRICTS[n % 3])
    db.session.commit()
    for query in ("有限", "公司", "有限公司", "youxian", "gongsi", "yxgs", "gs", "jms"):
        first = search_enterprises(query)
        assert len(first.items) == 20 and first.has_next and not first.truncated, query
        last = search_enterprises(query, page=2)
        assert len(last.items) == 5 and not last.has_next and last.truncated, query
        past = search_enterprises(query, page=3)
        assert past.items == () and past.truncated, query
    narrowed = search_enterprises("公司", district=DISTRICTS[0], per_page=30)
    assert len(narrowed.items) == 20 and not narrowed.truncated
    assert {item.district for item in narrowed.items} == {DISTRICTS[0]}


def test_few_matches_are_not_truncated(db, monkeypatch):
    monkeypatch.setattr(search, "MAX_RESULTS", 25)
    for n in range(25):
        add(db, f"松花江食品{n:02d}厂")
    db.session.commit()
    page = search_enterprises("食品", per_page=25)
    assert len(page.items) == 25 and not page.has_next and not page.truncated


# -- the staff search's condition -------------------------------------------------------------


def test_staff_condition_goes_through_the_index(db):
    from credit.services.staff_search import enterprise_condition

    a = add(db, "佳木斯市恒泰木业有限公司")
    b = add(db, "汤原县松江乳业有限公司", "汤原县")
    c = add(db, "百分之%公司", uscc=code(77, "230828"))
    db.session.commit()

    def staff(term: str) -> list[str]:
        return sorted(db.session.scalars(select(Enterprise.name)
                                         .where(enterprise_condition(term))))

    assert staff("恒泰") == staff("恒泰木业有限") == staff(" 恒 泰 ") == [a.name]
    assert staff("有限公司") == sorted([a.name, b.name])
    assert staff("jms") == staff("htmy") == staff("hengtai") == [a.name]
    assert staff("sjry") == staff("songjiang") == [b.name]
    assert staff("%公") == staff("%") == [c.name]
    assert staff("公") == sorted([a.name, b.name, c.name])
    assert staff(c.uscc[:12]) == staff(c.uscc[:12].lower()) == [c.name]
    assert staff("不存在") == [] and staff("恒泰\x00") == []
    assert enterprise_condition("  ") is None
    compiled = str(enterprise_condition("恒泰").compile(dialect=db.session.get_bind().dialect))
    assert "enterprise_search" in compiled or "@@" in compiled


def test_the_page_says_when_results_stop_at_the_cap(db, client, monkeypatch):
    import portal.views

    monkeypatch.setattr(search, "MAX_RESULTS", 25)
    monkeypatch.setattr(portal.views, "MAX_RESULTS", 25)
    for n in range(30):
        add(db, f"佳木斯市{n:02d}号有限公司")
    db.session.commit()
    first = client.get("/search", query_string={"q": "有限"}).get_data(as_text=True)
    assert "匹配的企业超过25家" not in first
    last = client.get("/search", query_string={"q": "有限", "page": 2}).get_data(as_text=True)
    assert "匹配的企业超过25家，只列出前25家" in last
    api = client.get("/api/v1/search", query_string={"q": "有限", "page": 2}).get_json()
    assert set(api) == {"items", "page", "per_page", "next"} and api["next"] is None


def test_postgresql_search_leaves_the_planner_as_it_was(db):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("planner settings are PostgreSQL's; run with TEST_DATABASE_URL pointing at "
                    "PostgreSQL")
    add(db, "佳木斯市恒泰木业有限公司")
    db.session.commit()
    settings = text("SELECT current_setting('enable_seqscan'), current_setting('jit'), "
                    "current_setting('random_page_cost'), current_setting('plan_cache_mode')")
    plans = text("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
                 "WHERE statement LIKE '%walked%'")
    # The connection may hold the statement from earlier searches (public requests leave
    # it prepared): count what these searches add.
    before = {row[0]: row[1:] for row in db.session.execute(plans)}
    setting = tuple(db.session.execute(settings).one())
    for _ in range(7):  # more than psycopg's threshold for preparing a statement
        assert found("hengtai") == found("htmy") == ["佳木斯市恒泰木业有限公司"]
    assert tuple(db.session.execute(settings).one()) == setting
    # One statement a shape of query, prepared once and run with its generic plan (no
    # planning a search).
    added = [(generic - before.get(sql, (0, 0))[0], custom - before.get(sql, (0, 0))[1])
             for sql, generic, custom in db.session.execute(plans)
             if (generic, custom) != before.get(sql)]
    assert added == [(14, 0)]
