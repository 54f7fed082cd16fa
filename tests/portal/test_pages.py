"""The public pages: home, the A and D lists with their filters, certificates and their
verification, the Atom feed, security headers, and markup shown as text."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import update

from credit.models import Enterprise, Listing
from credit.services.tick import tick
from credit.workflows.a_publication import withdraw_consent
from credit.workflows.d_listing import remove_listing
from tests.portal.conftest import login, publish_a, publish_d

ROOT = Path(__file__).resolve().parents[2]


def text(response) -> str:
    return response.get_data(as_text=True)


def test_home_counts_latest_and_removals(client, db, world):
    publish_a(world, "a")
    app = publish_a(world, "a_h")
    publish_d(db, world)
    withdraw_consent(world.u["ent_a_h"], app)
    db.session.commit()
    html = text(client.get("/"))
    counts = re.findall(r'class="count-number">(\d+)<', html)
    assert counts == ["1", "1"]
    latest, removed = html.split("最近撤下")
    assert world.e["a"].name in latest and world.e["d"].name in latest
    assert world.e["a_h"].uscc not in latest  # its listing is no longer live
    assert world.e["a_h"].name in removed


@pytest.mark.parametrize("path", ["/listings/a", "/listings/d"])
def test_lists_filter_by_district_and_industry(client, db, world, path):
    db.session.execute(update(Enterprise).where(Enterprise.id == world.e["a"].id)
                       .values(industry="C1311"))
    db.session.execute(update(Enterprise).where(Enterprise.id == world.e["d"].id)
                       .values(industry="C2034"))
    publish_a(world, "a")
    publish_a(world, "a_h")
    publish_d(db, world)
    db.session.commit()
    kind_a = path.endswith("/a")
    mine = world.e["a"] if kind_a else world.e["d"]
    html = text(client.get(path))
    assert mine.name in html
    assert (world.e["d"].name in html) is not kind_a
    assert "稻谷加工（C1311）" in html if kind_a else "木地板制造（C2034）" in html
    assert '<option value="C13">农副食品加工业（C13）</option>' in html
    html = text(client.get(path, query_string={"district": "桦南县"}))
    assert mine.name not in html and (world.e["a_h"].name in html) is kind_a
    html = text(client.get(path, query_string={"industry": "C13"}))
    assert (mine.name in html) is kind_a
    assert world.e["a_h"].name not in html
    html = text(client.get(path, query_string={"industry": "C20", "district": "向阳区"}))
    assert (mine.name in html) is not kind_a


def test_lists_are_paginated(client, db, world, monkeypatch):
    monkeypatch.setattr("portal.views.LIST_PER_PAGE", 1)
    publish_a(world, "a")
    world.pin("2026-10-16")
    publish_a(world, "a_h")
    db.session.commit()
    first = text(client.get("/listings/a"))
    assert world.e["a_h"].name in first and world.e["a"].name not in first  # newest first
    assert 'rel="next" href="/listings/a?page=2"' in first
    second = text(client.get("/listings/a?page=2"))
    assert world.e["a"].name in second and 'rel="next"' not in second
    assert 'rel="prev"' in second
    assert world.e["a"].name not in text(client.get("/listings/a?page=3"))


@pytest.mark.parametrize("query", ["page=0", "page=abc", "page=-1", "district=火星",
                                   "industry=ZZ9", "page=1&page=2"])
def test_bad_list_parameters_get_a_clear_400_page(client, db, query):
    response = client.get(f"/listings/d?{query}")
    assert response.status_code == 400
    assert "请求参数有误" in text(response) and "Traceback" not in text(response)


def test_unknown_page_parameters_are_ignored(client, db):
    assert client.get("/listings/a?utm_source=weibo").status_code == 200


def _token(db, enterprise) -> str:
    return db.session.scalar(
        Listing.__table__.select().with_only_columns(Listing.certificate_token)
        .where(Listing.enterprise_id == enterprise.id, Listing.kind == "A"))


def test_certificate_page_qr_and_verification_while_valid(client, db, world):
    publish_a(world)
    db.session.commit()
    token = _token(db, world.e["a"])
    assert len(token) >= 32
    page = client.get(f"/certificates/{token}")
    html = text(page)
    assert page.status_code == 200 and world.e["a"].name in html and world.e["a"].uscc in html
    assert f'src="/certificates/{token}/qr.svg"' in html
    assert f"http://localhost/verify/{token}" in html
    assert "2027-10-14" in html  # the last valid day
    qr = client.get(f"/certificates/{token}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert b'xmlns="http://www.w3.org/2000/svg"' in qr.data and b"<script" not in qr.data
    verdict = text(client.get(f"/verify/{token}"))
    assert "verdict-valid" in verdict and world.e["a"].name in verdict


def test_verification_says_withdrawn_and_never_why(client, db, world):
    app = publish_a(world)
    db.session.commit()
    token = _token(db, world.e["a"])
    withdraw_consent(world.u["ent_a"], app)
    db.session.commit()
    html = text(client.get(f"/verify/{token}"))
    assert "verdict-withdrawn" in html and "verdict-valid" not in html
    main = html.split('id="main"')[1].split("</main>")[0]
    for why in ("撤回同意", "等级", "withdrawn_consent", "grade"):
        assert why not in main
    assert client.get(f"/certificates/{token}").headers["Location"] == f"/verify/{token}"


def test_verification_says_expired_on_the_expiry_day_before_and_after_tick(client, db, world):
    publish_a(world)
    db.session.commit()
    token = _token(db, world.e["a"])
    world.pin("2027-10-14")
    assert "verdict-valid" in text(client.get(f"/verify/{token}"))
    world.pin("2027-10-15")
    assert "verdict-expired" in text(client.get(f"/verify/{token}"))
    tick(dt.date(2027, 10, 15))
    db.session.commit()
    assert "verdict-expired" in text(client.get(f"/verify/{token}"))


def test_publisher_removal_reads_as_withdrawn(client, db, world):
    publish_a(world)
    db.session.commit()
    token = _token(db, world.e["a"])
    listing = db.session.scalar(Listing.__table__.select().with_only_columns(Listing.id))
    remove_listing(world.u["admin"], db.session.get(Listing, listing), note="核查发现问题")
    db.session.commit()
    assert "verdict-withdrawn" in text(client.get(f"/verify/{token}"))


def test_unknown_certificate_is_404_and_d_listings_have_none(client, db, world):
    listing = publish_d(db, world)
    db.session.commit()
    assert listing.certificate_token is None
    assert client.get("/verify/not-a-token").status_code == 404
    assert "未找到该证书" in text(client.get("/verify/not-a-token"))
    assert client.get("/certificates/not-a-token").status_code == 404
    assert client.get("/certificates/not-a-token/qr.svg").status_code == 404


def test_atom_feed_announces_publications_and_removals_with_etag(client, db, world):
    app = publish_a(world)
    withdraw_consent(world.u["ent_a"], app)
    db.session.commit()
    response = client.get("/feed.atom")
    assert response.mimetype == "application/atom+xml"
    body = text(response)
    assert body.count("<entry>") == 2
    assert f"{world.e['a'].name} 列入守信企业公示" in body
    assert f"{world.e['a'].name} 从守信企业公示撤下" in body
    again = client.get("/feed.atom", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize("path", ["/", "/listings/a", "/listings/d", "/about", "/data",
                                  "/data/api", "/report", "/login", "/feed.atom"])
def test_public_pages_render_with_security_headers(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "style-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_templates_have_no_inline_script_or_style():
    templates = [p for p in (ROOT / "templates").rglob("*") if p.is_file()
                 and "admin" not in p.relative_to(ROOT / "templates").parts]
    assert len(templates) > 10
    for path in templates:
        source = path.read_text(encoding="utf-8")
        assert "<script" not in source, path
        assert not re.search(r"\sstyle\s*=", source), path
        assert "<style" not in source, path
        assert not re.search(r"\son[a-z]+\s*=", source), path  # onclick= and friends


def test_markup_in_an_enterprise_name_is_shown_as_text(client, db, world):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>木业'
    db.session.execute(update(Enterprise).where(Enterprise.id == world.e["a"].id)
                       .values(name=payload))
    publish_a(world)
    db.session.commit()
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    by_code = f"/search?q={world.e['a'].uscc}"  # the name's index terms were not rewritten
    for path in ("/", "/listings/a", "/feed.atom", by_code):
        html = text(client.get(path))
        assert payload not in html, path
        assert escaped in html, path
    assert 'class="badge badge-a"' in text(client.get(by_code))  # and its listing
    token = _token(db, world.e["a"])
    for path in (f"/certificates/{token}", f"/verify/{token}"):
        html = text(client.get(path))
        assert payload not in html and escaped in html, path
    api = client.get("/api/v1/listings?kind=A").get_json()
    assert api["items"][0]["name"] == payload  # JSON carries the name as it is


def test_bare_endpoint_renders_a_constant_page(client, db):
    response = client.get("/_bare")
    assert response.status_code == 200 and b"ok" in response.data


def test_a_one_character_search_asks_for_more(client, db):
    response = client.get("/search?q=木")
    assert response.status_code == 400
    assert "请输入至少2个汉字" in response.get_data(as_text=True)
    assert client.get("/search").status_code == 200


def test_the_shared_page_parts_follow_the_language_and_mount_point(client):
    zh = text(client.get("/about"))
    assert '<a class="skip-link" href="#main">跳到正文</a>' in zh
    client.get("/lang/en")
    en = text(client.get("/about"))
    assert "跳到正文" not in en and 'class="skip-link"' in en
    client.get("/lang/zh_Hans_CN")
    assert text(client.get("/about")) == zh
    # Mounted under a prefix, the links carry it (the parts are kept apart per mount point).
    mounted = text(client.get("/about", base_url="http://localhost/credit/"))
    assert 'href="/credit/static/css/site.css"' in mounted
    assert 'href="/credit/listings/a"' in mounted
    assert 'href="/static/css/site.css"' in text(client.get("/about"))


def test_the_industry_filter_follows_the_language(client):
    assert '<option value="C13">农副食品加工业（C13）</option>' in text(client.get("/listings/a"))
    client.get("/lang/en")
    english = text(client.get("/listings/a?industry=C13"))
    assert "农副食品加工业" not in english
    assert re.search(r'<option value="C13" selected>[A-Za-z ,-]+（C13）</option>', english)


def test_the_search_box_keeps_the_query_and_district_in_each_language(client):
    page = text(client.get("/search", query_string={"q": '"><b>x</b>', "district": "前进区"}))
    assert 'value="&#34;&gt;&lt;b&gt;x&lt;/b&gt;"' in page and "<b>x</b>" not in page
    assert '<option value="前进区" selected>前进区</option>' in page
    assert 'placeholder="例如：木业、hengtai、htmy、91230803"' in page
    other = text(client.get("/search", query_string={"q": "木业"}))
    assert 'value="木业"' in other and " selected>" not in other
    client.get("/lang/en")
    english = text(client.get("/search", query_string={"q": "木业", "district": "前进区"}))
    assert 'value="木业"' in english and "例如" not in english
    assert '<option value="前进区" selected>前进区</option>' in english
    home = text(client.get("/"))
    assert 'name="q" type="search" value=""' in home


@pytest.mark.parametrize("query", [
    {"q": "木业", "district": "桦南县"},
    {"q": "\"'<b>&x</b>% +#;/?@!$()*,:"},
    {"q": "a b", "page": "2"},
    {},
])
def test_the_language_switch_links_back_to_the_page_as_url_for_would(client, query):
    # The switch is rendered once a language and the page's address put in afterwards: the
    # link must be what url_for writes for that address, escaped in the attribute.
    page = text(client.get("/search", query_string=query))
    with client.application.test_request_context("/search", query_string=query):
        from flask import request, url_for
        from markupsafe import escape

        expected = escape(url_for("portal.set_language", code="en", next=request.full_path))
    assert f'<a href="{expected}" hreflang="en" lang="en">English</a>' in page
    assert "<strong>中文</strong>" in page and "\x00" not in page
    client.get("/lang/en")
    english = text(client.get("/search", query_string=query))
    assert "<strong>English</strong>" in english
    assert str(expected).replace("/lang/en?", "/lang/zh_Hans_CN?") in english


def test_signed_out_and_signed_in_visitors_get_their_own_header_links(client, db, world):
    assert '<a href="/login">登录</a>' in text(client.get("/about"))
    client.get("/lang/en")
    assert '<a href="/login">Sign in</a>' in text(client.get("/about"))
    login(client, world.u["ent_a"].username)
    signed_in = text(client.get("/about"))
    assert 'href="/login"' not in signed_in and 'action="/logout"' in signed_in


def test_kind_badges_follow_the_language(client, db, world):
    publish_a(world)
    publish_d(db, world)
    db.session.commit()
    badges = {"A": '<span class="badge badge-a">守信公示</span>',
              "D": '<span class="badge badge-d">严重失信</span>'}
    for kind, key in (("A", "a"), ("D", "d")):
        page = text(client.get(f"/enterprises/{world.e[key].uscc}"))
        assert badges[kind] in page
    client.get("/lang/en")
    english = text(client.get(f"/search?q={world.e['a'].uscc}"))
    assert 'class="badge badge-a"' in english and "守信公示" not in english


def test_escape_text_escapes_as_markupsafe_does():
    from markupsafe import escape

    from portal.chrome import escape_text

    for value in ("", "木业", "<script>&\"'</script>", "a\x00b", "%26 &amp; \u202e"):
        assert escape_text(value) == str(escape(value))
        assert type(escape_text(value)) is str
