"""Search through the pages and the API (the contract's rules), and the enterprise page."""

from __future__ import annotations

import re
from html import unescape

import pytest

from credit.services.importer import write_enterprises
from credit.uscc import make_uscc
from tests.portal.conftest import publish_a, publish_d

DAY = "2026-10-15"


def uscc(n: int, area: str = "230803") -> str:
    return make_uscc("91", area, f"MA{n:06d}")


NAMES = [
    (1, "佳木斯市恒泰木业有限公司", "向阳区"),
    (2, "桦南县林海木业有限责任公司", "桦南县"),
    (3, "佳木斯市丰收粮油有限公司", "前进区"),
    (4, "恒泰木业", "郊区"),
    (5, "恒泰木业制品厂", "向阳区"),
    (6, "佳木斯100%纯粮酒业有限公司", "向阳区"),
    (7, "佳木斯市_下划线_有限公司", "向阳区"),
    (8, "佳木斯市O'Brien食品有限公司", "向阳区"),
    (9, "佳木斯市反斜\\杠有限公司", "向阳区"),
    (10, "<b>标记</b>有限公司", "向阳区"),
]


@pytest.fixture
def city(db, today):
    day = today(DAY)
    write_enterprises([{"uscc": uscc(n), "name": name, "district": district,
                        "established_on": "2012-05-20", "industry": "C2034",
                        "address": "佳木斯市长安路 1 号", "records": []}
                       for n, name, district in NAMES], today=day, source="test")
    db.session.commit()
    return {name: uscc(n) for n, name, _ in NAMES}


def api(client, **query) -> dict:
    response = client.get("/api/v1/search", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def api_names(client, **query) -> list[str]:
    return [item["name"] for item in api(client, **query)["items"]]


def page_names(client, **query) -> list[str]:
    html = client.get("/search", query_string=query).get_data(as_text=True)
    return [unescape(m) for m in
            re.findall(r'class="result-name"><a href="/enterprises/[0-9A-Z]{18}">(.*?)</a>',
                       html)]


def both(client, **query) -> list[str]:
    """The names found, in order, the same through the API and the page."""
    from_api = api_names(client, **query)
    assert from_api == page_names(client, **query), query
    return from_api


def test_two_chinese_characters(client, city):
    found = both(client, q="木业")
    assert set(found) == {"佳木斯市恒泰木业有限公司", "桦南县林海木业有限责任公司", "恒泰木业",
                          "恒泰木业制品厂"}
    assert both(client, q="粮油") == ["佳木斯市丰收粮油有限公司"]


@pytest.mark.parametrize("query", ["hengtai", "HengTai Muye", "htmy", "HTMY"])
def test_pinyin_and_initials(client, city, query):
    assert "佳木斯市恒泰木业有限公司" in both(client, q=query)


def test_ranking_whole_name_then_start_then_the_rest(client, city):
    found = both(client, q="恒泰木业")
    assert found[0] == "恒泰木业"
    assert found[1] == "恒泰木业制品厂"
    assert found[2] == "佳木斯市恒泰木业有限公司"


def test_uscc_whole_and_prefix(client, city):
    code = city["桦南县林海木业有限责任公司"]
    assert both(client, q=code) == ["桦南县林海木业有限责任公司"]
    assert both(client, q=code.lower()) == ["桦南县林海木业有限责任公司"]
    prefix = both(client, q=code[:10])
    assert len(prefix) == len(NAMES)  # every test code shares its first 10 characters
    assert prefix[0] == "佳木斯市恒泰木业有限公司"  # ordered by code


def test_district_narrows(client, city):
    assert both(client, q="木业", district="桦南县") == ["桦南县林海木业有限责任公司"]
    assert both(client, q="粮油", district="向阳区") == []


@pytest.mark.parametrize("query, expected", [
    ("%", ["佳木斯100%纯粮酒业有限公司"]),
    ("0%", ["佳木斯100%纯粮酒业有限公司"]),
    ("_下", ["佳木斯市_下划线_有限公司"]),
    ("O'B", ["佳木斯市O'Brien食品有限公司"]),
    ("斜\\", ["佳木斯市反斜\\杠有限公司"]),
    ("<b>", ["<b>标记</b>有限公司"]),
])
def test_sql_and_markup_characters_are_plain(client, city, query, expected):
    if len(query) < 2:
        assert api_names(client, q=query) == []
        return
    assert both(client, q=query) == expected


def test_no_results(client, city):
    assert api(client, q="不存在的企业") == {"items": [], "page": 1, "per_page": 20,
                                             "next": None}
    html = client.get("/search?q=不存在的企业").get_data(as_text=True)
    assert "没有找到与“不存在的企业”匹配的企业" in html


def test_api_pages_follow_next(client, city):
    first = api(client, q="木业", per_page=2)
    assert len(first["items"]) == 2 and first["next"]
    second = client.get(first["next"]).get_json()
    assert second["page"] == 2
    names = [i["name"] for i in first["items"] + second["items"]]
    assert len(set(names)) == 4


def test_markup_in_a_search_result_is_text(client, city):
    html = client.get("/search", query_string={"q": "标记"}).get_data(as_text=True)
    assert "<b>标记</b>有限公司" not in html
    assert "&lt;b&gt;标记&lt;/b&gt;有限公司" in html
    page = client.get(f"/enterprises/{city['<b>标记</b>有限公司']}").get_data(as_text=True)
    assert "<b>标记</b>" not in page and "&lt;b&gt;标记&lt;/b&gt;有限公司" in page


def test_search_item_equals_the_enterprise_object(client, db, world):
    publish_a(world)
    publish_d(db, world)
    db.session.commit()
    for key in ("a", "d", "b"):
        code = world.e[key].uscc
        (item,) = api(client, q=code)["items"]
        assert item == client.get(f"/api/v1/enterprises/{code}").get_json()
    assert [x["kind"] for x in api(client, q=world.e["a"].uscc)["items"][0]["listings"]] == ["A"]


def test_enterprise_page_shows_facts_and_live_listings(client, db, world):
    publish_a(world)
    publish_d(db, world, summary="冒用他人厂名厂址生产白酒")
    db.session.commit()
    html = client.get(f"/enterprises/{world.e['a'].uscc}").get_data(as_text=True)
    assert world.e["a"].name in html and "守信企业公示" in html
    assert "2027-10-14" in html and "/certificates/" in html
    html = client.get(f"/enterprises/{world.e['d'].uscc}").get_data(as_text=True)
    for shown in ("严重失信企业名单", "佳市监质信〔2026〕", "2026-10-15", "2029-10-15",
                  "故意生产假冒伪劣产品", "V-6", "冒用他人厂名厂址生产白酒", "信用修复"):
        assert shown in html, shown
    html = client.get(f"/enterprises/{world.e['b'].uscc}").get_data(as_text=True)
    assert "该企业目前没有公示信息" in html


@pytest.mark.parametrize("code", ["91230800000000019X", "123", uscc(999)])
def test_unknown_or_malformed_uscc_is_404(client, db, code):
    assert client.get(f"/enterprises/{code}").status_code == 404
    response = client.get(f"/api/v1/enterprises/{code}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_search_api_answers_validate_against_the_document(client, db, world):
    import jsonschema

    publish_a(world)
    db.session.commit()
    document = client.get("/api/v1/openapi.json").get_json()
    schema = {"components": document["components"]}
    page = api(client, q=world.e["a"].uscc)
    jsonschema.validate(page, {**schema, "$ref": "#/components/schemas/EnterprisePage"})
    one = client.get(f"/api/v1/enterprises/{world.e['a'].uscc}").get_json()
    jsonschema.validate(one, {**schema, "$ref": "#/components/schemas/Enterprise"})


def test_the_pager_links_pages_of_the_same_search(client, city, monkeypatch):
    monkeypatch.setattr("portal.views.LIST_PER_PAGE", 2)

    def links(html: str) -> dict[str, str]:
        return {rel: unescape(href) for rel, href in
                re.findall(r'<a rel="(prev|next)" href="([^"]*)"', html)}

    query = {"q": "有限", "district": "向阳区"}
    first = client.get("/search", query_string=query).get_data(as_text=True)
    assert links(first) == {"next": "/search?page=2&q=%E6%9C%89%E9%99%90"
                                     "&district=%E5%90%91%E9%98%B3%E5%8C%BA"}
    assert 'href="/search?page=2&amp;q=' in first  # the address escaped in the attribute
    assert '<span aria-current="page">第 1 页</span>' in first
    second = client.get(links(first)["next"]).get_data(as_text=True)
    assert set(links(second)) == {"prev", "next"} and "第 2 页" in second
    assert links(second)["prev"] == links(first)["next"].replace("page=2", "page=1")
    assert page_names(client, **query, page=2) == api_names(client, **query, page=2,
                                                            per_page=2)
    client.get("/lang/en")
    english = client.get(links(first)["next"]).get_data(as_text=True)
    assert set(links(english)) == {"prev", "next"} and "第 2 页" not in english
    assert 'class="pager"' not in client.get("/search", query_string={"q": "标记"}).get_data(
        as_text=True)  # one page: no pager


@pytest.mark.parametrize("root", ["", "/credit"])
def test_pager_addresses_are_what_url_for_builds(app, root):
    """The pager writes its addresses without url_for (portal.chrome.page_url); they must be
    what url_for gives, under a mount point too, for any query a visitor can type."""
    from flask import url_for

    from portal.chrome import page_url

    queries = [{"q": "恒泰", "district": ""}, {"q": "a b&c=d#e", "district": "向阳区"},
               {"q": "%_'\\<>\"+", "district": None}, {"q": "!$'()*,/:;?@~[]{}|^`"},
               {"kind": "A", "industry": "C13", "district": "桦南县"}, {}]
    with app.test_request_context("/", environ_base={"SCRIPT_NAME": root}):
        for endpoint in ("portal.search", "portal.listings_a", "api.search"):
            for query in queries:
                for page in (1, 2, 37):
                    assert page_url(endpoint, page, query) == url_for(
                        endpoint, page=page, **query), (endpoint, query)


# -- the page as a frame -----------------------------------------------------------------------
# The search page is rendered once a language and district, with marks where a request's own
# parts go (portal/chrome.py, framed): nothing of one visitor or query may reach another.

def test_a_frame_first_rendered_for_a_signed_in_visitor_shows_others_only_their_own(
        app, client, db, world):
    from tests.portal.conftest import login

    app.extensions.pop("portal_chrome", None)  # the next search renders the frame afresh
    signed_in = client.get("/search", query_string={"q": "向阳"}).get_data(as_text=True)
    assert '<a href="/login">登录</a>' in signed_in  # (not signed in yet)
    app.extensions.pop("portal_chrome", None)
    login(client, world.u["ent_a"].username)
    signed_in = client.get("/search", query_string={"q": "向阳"}).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', signed_in)
    assert token and 'action="/logout"' in signed_in and 'href="/account"' in signed_in
    assert 'href="/login"' not in signed_in
    other = app.test_client()
    anonymous = other.get("/search", query_string={"q": "向阳"}).get_data(as_text=True)
    assert '<a href="/login">登录</a>' in anonymous
    assert "csrf_token" not in anonymous and 'action="/logout"' not in anonymous
    assert token.group(1) not in anonymous and "\x00" not in anonymous + signed_in


def test_a_remembered_visitor_is_signed_in_on_a_search_page(app, client, db, world):
    """The signed-out shortcut looks at the session and at a remember-me cookie: an account
    that Flask-Login would load from either is shown its own links."""
    from flask_login.utils import encode_cookie

    with app.test_request_context():
        remembered = encode_cookie(world.u["ent_a"].get_id())
    # The frame is rendered first for someone else, so this request loads no visitor while
    # rendering it.
    assert app.test_client().get("/search", query_string={"q": "向阳"}).status_code == 200
    client.set_cookie("remember_token", remembered)
    page = client.get("/search", query_string={"q": "向阳"}).get_data(as_text=True)
    assert 'action="/logout"' in page and 'href="/login"' not in page


def test_flashed_messages_show_on_a_search_page_once(client, city):
    with client.session_transaction() as session:
        session["_flashes"] = [("error", "<b>已处理</b>"), ("message", "第二条")]
    page = client.get("/search", query_string={"q": "木业"}).get_data(as_text=True)
    assert '<p class="flash flash-error" role="alert">&lt;b&gt;已处理&lt;/b&gt;</p>' in page
    assert '<p class="flash flash-message" role="status">第二条</p>' in page
    assert page.index("已处理") < page.index('class="search-box"')  # above the content
    again = client.get("/search", query_string={"q": "木业"}).get_data(as_text=True)
    assert "已处理" not in again and 'class="flash' not in again


@pytest.mark.parametrize("query", ["%00next%00", "x\\x00results\\x00", "&lt;q&gt;"])
def test_a_query_that_looks_like_a_mark_is_shown_as_typed(client, city, query):
    # The marks are filled in one pass: what a visitor typed is never read for marks.
    response = client.get("/search", query_string={"q": query})
    page = response.get_data(as_text=True)
    escaped = str(__import__("markupsafe").escape(query))
    assert response.status_code == 200
    assert f'name="q" type="search" value="{escaped}"' in page
    assert f"没有找到与“{escaped}”匹配的企业。" in page
    assert "\x00" not in page and page.count('class="site-header"') == 1
    with client.application.test_request_context("/search", query_string={"q": query}):
        from flask import request, url_for
        from markupsafe import escape

        expected = escape(url_for("portal.set_language", code="en", next=request.full_path))
    assert f'<a href="{expected}" hreflang="en"' in page


def test_each_language_and_district_has_its_own_frame(client, city):
    chinese = client.get("/search", query_string={"q": "木业", "district": "桦南县"})
    chinese = chinese.get_data(as_text=True)
    assert '<html lang="zh-CN">' in chinese and "<title>企业查询 · " in chinese
    assert '<option value="桦南县" selected>' in chinese
    assert "“木业”的查询结果 · 桦南县" in chinese and page_names(
        client, q="木业", district="桦南县") == ["桦南县林海木业有限责任公司"]
    other = client.get("/search", query_string={"q": "木业"}).get_data(as_text=True)
    assert " selected>" not in other and "“木业”的查询结果</p>" in other
    client.get("/lang/en")
    english = client.get("/search", query_string={"q": "木业", "district": "桦南县"})
    english = english.get_data(as_text=True)
    assert '<html lang="en">' in english and "企业查询" not in english
    assert '<option value="桦南县" selected>' in english
