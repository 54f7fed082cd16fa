"""The open-data API: pages of Enterprise and Change objects, CSV downloads, JSON errors for
every bad parameter, CORS, conditional GET and rate limits."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from credit.workflows.a_publication import withdraw_consent
from tests.portal.conftest import publish_a, publish_d


def test_listings_are_pages_of_enterprise_objects(client, db, world):
    publish_a(world, "a")
    world.pin("2026-10-16")
    publish_a(world, "a_h")
    publish_d(db, world, summary="假冒他人厂名厂址")
    db.session.commit()
    page = client.get("/api/v1/listings?kind=A&per_page=1").get_json()
    assert [i["uscc"] for i in page["items"]] == [world.e["a_h"].uscc]
    assert page["page"] == 1 and page["per_page"] == 1
    assert page["next"] == "http://localhost/api/v1/listings?page=2&per_page=1&kind=A"
    second = client.get(page["next"]).get_json()
    assert [i["uscc"] for i in second["items"]] == [world.e["a"].uscc]
    assert second["next"] is None
    item = second["items"][0]
    assert item["name"] == world.e["a"].name and item["district"] == "向阳区"
    assert item["established_on"] == "2012-05-20"
    assert item["listings"] == [{
        "kind": "A", "published_on": "2026-10-15", "expires_on": "2027-10-15",
        "certificate_url": item["listings"][0]["certificate_url"],
        "verify_url": item["listings"][0]["verify_url"]}]
    d = client.get("/api/v1/listings?kind=D").get_json()["items"][0]
    assert d["uscc"] == world.e["d"].uscc
    (listing,) = d["listings"]
    assert listing["decision_no"].startswith("佳市监质信〔2026〕")
    assert listing["reasons"] == [{"code": "D2", "text": "故意生产假冒伪劣产品"}]
    assert listing["records"] == [{"type": "violation", "type_name": "违法违规",
                                   "date": "2026-03-15", "ref": "V-6"}]
    assert listing["summary"] == "假冒他人厂名厂址"
    assert client.get("/api/v1/listings?kind=d&district=桦南县").get_json()["items"] == []


def test_change_feed_pages_and_since(client, db, world):
    app = publish_a(world)
    db.session.commit()
    withdraw_consent(world.u["ent_a"], app)
    db.session.commit()
    feed = client.get("/api/v1/changes").get_json()
    assert [(c["uscc"], c["kind"], c["change"]) for c in feed["items"]] == [
        (world.e["a"].uscc, "A", "published"), (world.e["a"].uscc, "A", "removed")]
    assert all(c["at"].endswith("Z") for c in feed["items"])
    first = client.get("/api/v1/changes?per_page=1").get_json()
    assert first["next"].endswith("/api/v1/changes?page=2&per_page=1")
    since = feed["items"][0]["at"]
    later = client.get("/api/v1/changes", query_string={"since": since}).get_json()
    assert [c["change"] for c in later["items"]] == ["removed"]
    # The same moment with an offset, and with its "+" arrived as a space.
    moment = dt.datetime.fromisoformat(since.replace("Z", "+00:00"))
    local = moment.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()
    assert client.get("/api/v1/changes", query_string={"since": local}).get_json() == later
    spaced = client.get("/api/v1/changes?since=" + local.replace("+", " ")).get_json()
    assert spaced == later
    assert client.get("/api/v1/changes?since=2999-01-01").get_json()["items"] == []


def test_csv_is_the_whole_live_list_with_a_bom(client, db, world):
    publish_a(world, "a")
    app = publish_a(world, "a_h")
    db.session.commit()
    response = client.get("/api/v1/listings.csv?kind=A")
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert 'filename="a-list.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert {r["uscc"] for r in rows} == {world.e["a"].uscc, world.e["a_h"].uscc}
    assert rows[0]["kind"] == "A" and rows[0]["certificate_url"].startswith("http://localhost/")
    withdraw_consent(world.u["ent_a_h"], app)
    db.session.commit()
    rows = list(csv.DictReader(io.StringIO(
        client.get("/api/v1/listings.csv?kind=A").data.decode("utf-8-sig"))))
    assert [r["uscc"] for r in rows] == [world.e["a"].uscc]
    assert client.get("/api/v1/listings.csv?kind=D").data.decode("utf-8-sig").count("\n") == 1


@pytest.mark.parametrize("path, name, code", [
    ("/api/v1/listings", "kind", "invalid_parameter"),
    ("/api/v1/listings?kind=B", "kind", "invalid_parameter"),
    ("/api/v1/listings?kind=A&page=0", "page", "invalid_parameter"),
    ("/api/v1/listings?kind=A&page=-3", "page", "invalid_parameter"),
    ("/api/v1/listings?kind=A&page=abc", "page", "invalid_parameter"),
    ("/api/v1/listings?kind=A&page=1.5", "page", "invalid_parameter"),
    ("/api/v1/listings?kind=A&page=99999999999999999999", "page", "invalid_parameter"),
    ("/api/v1/listings?kind=A&per_page=101", "per_page", "invalid_parameter"),
    ("/api/v1/listings?kind=A&per_page=0", "per_page", "invalid_parameter"),
    ("/api/v1/listings?kind=A&district=哈尔滨", "district", "invalid_parameter"),
    ("/api/v1/listings?kind=A&industry=%25", "industry", "invalid_parameter"),
    ("/api/v1/listings?kind=A&kind=D", "kind", "invalid_parameter"),
    ("/api/v1/listings?kind=A&type=A", "type", "unknown_parameter"),
    ("/api/v1/changes?since=yesterday", "since", "invalid_parameter"),
    ("/api/v1/changes?since=2026-13-45T00:00:00Z", "since", "invalid_parameter"),
    ("/api/v1/changes?page=x", "page", "invalid_parameter"),
    ("/api/v1/listings.csv", "kind", "invalid_parameter"),
    ("/api/v1/listings.csv?kind=Z", "kind", "invalid_parameter"),
    ("/api/v1/search", "q", "invalid_parameter"),
    ("/api/v1/search?q=%00", "q", "invalid_parameter"),
    ("/api/v1/search?q=" + "木" * 101, "q", "invalid_parameter"),
    ("/api/v1/search?q=木业&page=0", "page", "invalid_parameter"),
    ("/api/v1/enterprises/91230800000000019K?x=1", "x", "unknown_parameter"),
    ("/api/v1/openapi.json?v=2", "v", "unknown_parameter"),
])
def test_bad_parameters_are_json_400_naming_the_parameter(client, db, path, name, code):
    response = client.get(path)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"].startswith(f"{name}: ")


@pytest.mark.parametrize("uscc", ["123", "91230800000000019X", "<script>", "%27%20OR%201=1"])
def test_malformed_uscc_is_json_404(client, db, uscc):
    response = client.get(f"/api/v1/enterprises/{uscc}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_unknown_address_and_wrong_method_are_json(client, db):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    response = client.post("/api/v1/listings?kind=A")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_cors_and_conditional_get(client, db, world):
    publish_a(world)
    db.session.commit()
    for path in ("/api/v1/listings?kind=A", "/api/v1/changes", "/api/v1/listings.csv?kind=A"):
        response = client.get(path, headers={"Origin": "https://mirror.example"})
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        etag = response.headers["ETag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"", path
    error = client.get("/api/v1/listings?kind=Q")
    assert error.headers["Access-Control-Allow-Origin"] == "*"


def test_etag_changes_when_the_list_changes(client, db, world):
    app = publish_a(world)
    db.session.commit()
    before = client.get("/api/v1/listings?kind=A").headers["ETag"]
    withdraw_consent(world.u["ent_a"], app)
    db.session.commit()
    response = client.get("/api/v1/listings?kind=A", headers={"If-None-Match": before})
    assert response.status_code == 200 and response.get_json()["items"] == []


def test_expiry_changes_the_list_at_midnight_without_tick(client, db, world):
    publish_a(world)
    db.session.commit()
    etag = client.get("/api/v1/listings?kind=A").headers["ETag"]
    world.pin("2027-10-15")
    response = client.get("/api/v1/listings?kind=A", headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.get_json()["items"] == []


def test_rate_limit_answers_429_in_json_with_retry_after(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3/minute")
    for _ in range(3):
        assert client.get("/api/v1/changes").status_code == 200
    response = client.get("/api/v1/changes")
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_search_page_rate_limit_answers_a_429_page(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_RATE_LIMIT", "2/minute")
    for _ in range(2):
        client.get("/search")
    response = client.get("/search")
    assert response.status_code == 429
    assert "请求过于频繁" in response.get_data(as_text=True)


def test_an_enterprise_with_two_d_listings_is_listed_once_and_has_two_csv_rows(client, db,
                                                                              world):
    from sqlalchemy import select

    from credit.models import DCase
    from credit.services.archive import add_record
    from credit.workflows.d_listing import answer_notice, confirm_case, decide_case, send_notice

    publish_d(db, world)
    world.pin("2027-01-20")
    add_record(world.u["recorder"], world.e["d"], {"type": "accident", "ref": "A-1",
                                                    "date": "2027-01-10", "severity": "major"})
    case = db.session.scalars(select(DCase).where(DCase.enterprise_id == world.e["d"].id)
                              .order_by(DCase.id.desc())).first()
    confirm_case(world.u["reviewer_city"], case)
    send_notice(world.u["admin"], case)
    answer_notice(world.u["ent_d"], case, "申辩")
    decide_case(world.u["admin"], case, publish=True, reasons=["D9"])
    db.session.commit()
    items = client.get("/api/v1/listings?kind=D").get_json()["items"]
    assert [(i["uscc"], len(i["listings"])) for i in items] == [(world.e["d"].uscc, 2)]
    rows = list(csv.DictReader(io.StringIO(
        client.get("/api/v1/listings.csv?kind=D").data.decode("utf-8-sig"))))
    assert sorted((r["uscc"], r["published_on"]) for r in rows) == [
        (world.e["d"].uscc, "2026-10-15"), (world.e["d"].uscc, "2027-01-20")]
