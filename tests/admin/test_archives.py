"""The archive screens: enterprise list (search, filters, simple pager), the enterprise page,
one form per record type, regrading on every save, reasons required for corrections."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from credit.extensions import db as _db
from credit.models import AuditEntry, Grade, Record
from credit.vocabulary import RECORD_KINDS


def grade_of(enterprise) -> Grade:
    _db.session.expire_all()
    return _db.session.get(Grade, enterprise.id)


def test_enterprise_list_is_scoped_and_has_no_full_count(world, sign_in):
    html = sign_in(world.u["recorder_h"]).get("/admin/enterprises/").get_data(as_text=True)
    assert world.e["a_h"].name in html and world.e["a"].name not in html
    assert "列表 (" not in html  # the simple pager: no COUNT(*) of a million rows


@pytest.mark.parametrize(("term", "key"), [("守信食品", "a"), ("已列入名单", "dl")])
def test_search_by_name(world, sign_in, term, key):
    html = sign_in(world.u["admin"]).get("/admin/enterprises/",
                                          query_string={"search": term}).get_data(as_text=True)
    assert world.e[key].name in html
    assert world.e["c"].name not in html


def test_search_by_uscc_prefix(world, sign_in):
    uscc = world.e["c_h"].uscc
    html = sign_in(world.u["admin"]).get("/admin/enterprises/",
                                          query_string={"search": uscc[:12]}).get_data(
                                              as_text=True)
    assert world.e["c_h"].name in html and world.e["a"].name not in html


def test_filters_by_district_grade_and_industry(world, sign_in):
    client = sign_in(world.u["admin"])
    html = client.get("/admin/enterprises/", query_string={"flt0_0": "桦南县"}).get_data(
        as_text=True)
    assert world.e["a_h"].name in html and world.e["a"].name not in html
    html = client.get("/admin/enterprises/", query_string={"flt0_1": "D"}).get_data(
        as_text=True)
    assert world.e["d"].name in html and world.e["a"].name not in html
    html = client.get("/admin/enterprises/", query_string={"flt0_2": "C13"}).get_data(
        as_text=True)
    assert world.e["a"].name in html
    assert "稻谷加工（C1311）" in html  # industry shown by name
    html = client.get("/admin/enterprises/", query_string={"flt0_2": "C14"}).get_data(
        as_text=True)
    assert world.e["a"].name not in html


def test_enterprise_page_explains_the_grade(world, sign_in):
    html = sign_in(world.u["reviewer"]).get(
        f"/admin/enterprises/details/?id={world.e['c'].id}").get_data(as_text=True)
    assert "稻谷加工（C1311）" in html
    assert 'class="grade grade-C"' in html
    assert "当年监督抽查或监督检查不合格" in html and "三(三)2" in html
    record = world.records[""]
    assert f"/admin/records/details/?id={record.id}" in html  # the record behind the reason
    assert "等级历史" in html and "时间线" in html


def test_enterprise_page_in_english(world, sign_in):
    client = sign_in(world.u["reviewer"])
    client.get("/lang/en")
    html = client.get(f"/admin/enterprises/details/?id={world.e['c'].id}").get_data(
        as_text=True)
    assert "Spot check or supervisory inspection failed this year" in html
    assert "Grade history" in html


def test_enterprise_page_shows_what_changes_it_next(world, sign_in):
    html = sign_in(world.u["admin"]).get(
        f"/admin/enterprises/details/?id={world.e['c'].id}").get_data(as_text=True)
    # The failed spot check of 2025 stops counting this year and leaves A1's window in 2028.
    assert 'id="next-changes"' in html and "2028-04-11" in html


def test_one_form_per_record_type_with_exactly_its_fields(world, sign_in):
    client = sign_in(world.u["recorder"])
    for name, kind in RECORD_KINDS.items():
        html = client.get("/admin/records/new/", query_string={
            "enterprise_id": world.e["a"].id, "type": name}).get_data(as_text=True)
        inputs = {n for n in ("subject", "result", "category", "severity", "harm",
                              "resolution", "status", "deadline", "finding", "rate",
                              "resolved_on") if f'name="{n}"' in html}
        expected = set(kind.field_names) | ({"resolved_on"} if kind.state else set())
        assert inputs == expected, name
        assert 'name="reason"' not in html


def test_adding_a_failed_spot_check_regrades_at_once(world, sign_in):
    assert grade_of(world.e["a"]).grade == "A"
    client = sign_in(world.u["recorder"])
    response = client.post(
        f"/admin/records/new/?enterprise_id={world.e['a'].id}&type=spot_check",
        data={"ref": "抽-2027-001", "date": "2027-10-10", "subject": "product",
              "result": "fail"})
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "当前信用等级：C" in html
    assert "当年监督抽查或监督检查不合格" in html
    grade = grade_of(world.e["a"])
    assert grade.grade == "C" and grade.reasons[0]["code"] == "C2"
    record = _db.session.scalar(select(Record).where(Record.ref == "抽-2027-001"))
    assert record.recorded_by_id == world.u["recorder"].id


def test_refused_record_names_the_field(world, sign_in):
    client = sign_in(world.u["recorder"])
    before = _db.session.scalar(select(func.count()).select_from(Record))
    response = client.post(
        f"/admin/records/new/?enterprise_id={world.e['a'].id}&type=spot_check",
        data={"ref": "抽-1", "date": "2030-01-01", "subject": "product", "result": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "结果" in html and "必填" in html
    response = client.post(
        f"/admin/records/new/?enterprise_id={world.e['a'].id}&type=spot_check",
        data={"ref": "抽-1", "date": "2030-01-01", "subject": "product", "result": "fail"})
    assert "日期不能晚于今天" in response.get_data(as_text=True)
    response = client.post(
        f"/admin/records/new/?enterprise_id={world.e['a'].id}&type=spot_check",
        data={"ref": "抽-1", "date": "2001-01-01", "subject": "product", "result": "fail"})
    assert "早于企业成立日期（2012-05-20）" in response.get_data(as_text=True)
    response = client.post(
        f"/admin/records/new/?enterprise_id={world.e['a'].id}&type=pass_rate",
        data={"ref": "率-1", "date": "2027-01-01", "rate": "1.5"})
    assert "应为0到1之间的数" in response.get_data(as_text=True)
    assert _db.session.scalar(select(func.count()).select_from(Record)) == before


def test_correction_needs_a_reason_and_regrades(world, sign_in):
    record = world.records[""]  # the failed spot check of firm c
    client = sign_in(world.u["recorder"])
    page = client.get(f"/admin/records/edit/?id={record.id}").get_data(as_text=True)
    assert 'name="reason"' in page and '<option selected value="fail">' in page
    data = {"ref": record.ref, "date": record.date.isoformat(), "subject": "product",
            "result": "pass"}
    refused = client.post(f"/admin/records/edit/?id={record.id}", data=data)
    assert "更正理由" in refused.get_data(as_text=True) and "必填" in refused.get_data(
        as_text=True)
    assert grade_of(world.e["c"]).grade == "C"
    saved = client.post(f"/admin/records/edit/?id={record.id}",
                        data={**data, "reason": "录入时结果填错"})
    assert saved.status_code == 302
    assert grade_of(world.e["c"]).grade != "C"
    entry = _db.session.scalar(select(AuditEntry).where(AuditEntry.action == "record.update")
                               .order_by(AuditEntry.id.desc()))
    assert entry.before["result"] == "fail" and entry.after["result"] == "pass"


def test_removal_needs_a_reason(world, sign_in):
    record_id = world.records[""].id
    client = sign_in(world.u["recorder"])
    refused = client.post(f"/admin/records/remove/?id={record_id}", data={"reason": ""})
    assert "删除理由" in refused.get_data(as_text=True)
    assert _db.session.get(Record, record_id) is not None
    saved = client.post(f"/admin/records/remove/?id={record_id}", data={"reason": "重复录入"})
    assert saved.status_code == 302
    _db.session.expire_all()
    assert _db.session.get(Record, record_id) is None


def test_state_columns_are_not_editable_here(world, sign_in):
    """Workflow state never appears in a form: no admin form has a state or version input
    except the hidden version of a workflow step."""
    client = sign_in(world.u["admin"])
    for url in (f"/admin/records/edit/?id={world.records[''].id}",
                f"/admin/queues/d/{world.cases['_h'].id}",
                f"/admin/queues/a/{world.apps['a'].id}"):
        html = client.get(url).get_data(as_text=True)
        assert 'name="state"' not in html and 'name="removal_prompted"' not in html


def test_records_list_scoped_and_filtered(world, sign_in):
    client = sign_in(world.u["recorder"])
    html = client.get("/admin/records/").get_data(as_text=True)
    assert world.records[""].ref in html and world.records["_h"].ref not in html
    html = client.get("/admin/records/", query_string={"flt0_0": "violation"}).get_data(
        as_text=True)
    assert world.records[""].ref not in html
    html = client.get("/admin/records/", query_string={
        "enterprise_id": world.e["c"].id}).get_data(as_text=True)
    assert world.records[""].ref in html


def test_search_by_pinyin_initials(world, sign_in):
    # 向阳区守信食品有限公司: xiang yang qu shou xin shi pin ...
    html = sign_in(world.u["admin"]).get("/admin/enterprises/",
                                          query_string={"search": "xyqsx"}).get_data(
                                              as_text=True)
    assert world.e["a"].name in html and world.e["c"].name not in html


def test_register_an_enterprise_in_the_own_jurisdiction(world, sign_in):
    from credit.models import Enterprise
    from credit.uscc import make_uscc

    uscc = make_uscc("91", "230822", "66000001")
    client = sign_in(world.u["recorder_h"])
    form = client.get("/admin/enterprises/new/").get_data(as_text=True)
    assert 'value="桦南县"' in form and 'value="向阳区"' not in form
    response = client.post("/admin/enterprises/new/", data={
        "uscc": uscc, "name": "桦南新登记有限公司", "district": "桦南县",
        "established_on": "2020-03-01", "qualification": "valid", "industry": "c1392",
        "products": "豆腐、豆浆"})
    assert response.status_code == 302
    created = _db.session.scalar(select(Enterprise).where(Enterprise.uscc == uscc))
    assert created.products == ["豆腐", "豆浆"] and created.industry == "C1392"
    assert grade_of(created).grade == "A"
    refused = client.post("/admin/enterprises/new/", data={
        "uscc": uscc, "name": "重复", "district": "桦南县", "established_on": "2020-03-01",
        "qualification": "valid"})
    assert "already registered" in refused.get_data(as_text=True)


def test_correct_registration_facts_with_a_reason_regrades(world, sign_in):
    firm = world.e["a"]
    client = sign_in(world.u["recorder"])
    data = {"name": firm.name, "district": "向阳区", "established_on": "2012-05-20",
            "qualification": "invalid", "industry": "C1311"}
    refused = client.post(f"/admin/enterprises/edit/?id={firm.id}", data=data)
    assert "更正理由" in refused.get_data(as_text=True) and grade_of(firm).grade == "A"
    saved = client.post(f"/admin/enterprises/edit/?id={firm.id}",
                        data={**data, "reason": "资质证书已过期"})
    assert saved.status_code == 302
    assert grade_of(firm).grade == "D"
