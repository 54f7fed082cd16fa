"""Bulk import from the browser: the template, the dry run that places every problem in its
sheet, row and column (or JSON path), and the all-or-nothing import that follows."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from credit.extensions import db as _db
from credit.models import AuditEntry, Enterprise, Grade, Record
from credit.services.workbook import ENTERPRISE_COLUMNS, record_columns
from credit.uscc import make_uscc
from credit.vocabulary import RECORD_KINDS


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def header(columns) -> list[str]:
    return [f"标题 ({c})" for c in columns]


def workbook_bytes(enterprises: list[list], records: dict[str, list[list]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(header(ENTERPRISE_COLUMNS))
    for row in enterprises:
        ws.append(row)
    for kind, rows in records.items():
        sheet = wb.create_sheet(RECORD_KINDS[kind].label)
        sheet.append(header(record_columns(kind)))
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


NEW = make_uscc("91", "230803", "77000001")


def upload(client, content: bytes, name: str):
    return client.post("/admin/import/check", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_template_has_one_sheet_per_record_type_with_exactly_its_columns(world, sign_in):
    response = sign_in(world.u["recorder"]).get("/admin/import/template.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.data))
    assert wb["企业"]["A1"].value == "统一社会信用代码 (uscc)"
    for name, kind in RECORD_KINDS.items():
        titles = [c.value for c in wb[kind.label][1]]
        assert [t[t.rindex("(") + 1:-1] for t in titles] == list(record_columns(name))


def test_dry_run_places_every_problem_and_writes_nothing(world, sign_in):
    records_before, enterprises_before = count(Record), count(Enterprise)
    content = workbook_bytes(
        [[NEW, "向阳新企业有限公司", "向阳区", "2015-06-01", "valid", "C1311", "长安路1号",
          "大米、面粉"]],
        {"spot_check": [[NEW, "抽-1", "2027-03-01", "product", "failed"]],
         "complaint": [[world.e["a"].uscc, "诉-1", "2027-02-01", "late"]]})
    response = upload(sign_in(world.u["recorder"]), content, "archive.xlsx")
    html = response.get_data(as_text=True)
    assert "有1个问题" in html
    assert "工作表“监督抽查” 第2行 E列" in html and "不是可选的值" in html
    assert 'action="/admin/import/run"' not in html
    assert (count(Record), count(Enterprise)) == (records_before, enterprises_before)


def test_fixed_workbook_imports_all_and_shows_what_changed(world, sign_in):
    content = workbook_bytes(
        [[NEW, "向阳新企业有限公司", "向阳区", "2015-06-01", "valid", "C1311", None, "大米"]],
        {"spot_check": [[NEW, "抽-1", "2027-03-01", "product", "fail"]],
         "complaint": [[world.e["a"].uscc, "诉-1", "2027-02-01", "late"]]})
    client = sign_in(world.u["recorder"])
    html = upload(client, content, "archive.xlsx").get_data(as_text=True)
    assert "检查通过" in html and "含2个企业、2条记录" in html
    html = client.post("/admin/import/run").get_data(as_text=True)
    assert "已导入" in html and "新增1个" in html and "新增2条" in html
    new = _db.session.scalar(select(Enterprise).where(Enterprise.uscc == NEW))
    assert new.products == ["大米"]
    assert _db.session.get(Grade, new.id).grade == "C"
    assert _db.session.get(Grade, world.e["a"].id).grade == "C"  # the late complaint: C6
    entry = _db.session.scalar(select(AuditEntry).where(AuditEntry.action == "archive.import"))
    assert entry.actor == "recorder" and entry.after["records_added"] == 2
    # The checked file is used once.
    assert "没有待导入的文件" in client.post("/admin/import/run", follow_redirects=True) \
        .get_data(as_text=True)


def test_one_bad_cell_in_a_large_workbook_refuses_it_whole(world, sign_in):
    rows = [[make_uscc("91", "230803", f"7800{i:04d}"), f"批量企业{i}有限公司", "向阳区",
             "2015-06-01"] for i in range(300)]
    rows[217][3] = "2015-13-01"
    client = sign_in(world.u["recorder"])
    html = upload(client, workbook_bytes(rows, {}), "big.xlsx").get_data(as_text=True)
    assert "工作表“企业” 第219行 D列" in html
    assert "有1个问题" in html
    assert client.post("/admin/import/run").status_code == 302
    assert count(Enterprise) == len(world.e)


def test_json_problems_are_placed_by_path(world, sign_in, sample_archive):
    document = json.loads(json.dumps(sample_archive))
    document["enterprises"][1]["records"][0]["result"] = "failed"
    html = upload(sign_in(world.u["admin"]), json.dumps(document, ensure_ascii=False).encode(),
                  "archive.json").get_data(as_text=True)
    assert "enterprises[1].records[0].result" in html


def test_json_archive_imports(world, sign_in, sample_archive):
    client = sign_in(world.u["admin"])
    html = upload(client, json.dumps(sample_archive, ensure_ascii=False).encode(),
                  "sample.json").get_data(as_text=True)
    assert "检查通过" in html
    html = client.post("/admin/import/run").get_data(as_text=True)
    assert "已导入" in html
    assert count(Enterprise) == len(world.e) + len(sample_archive["enterprises"])


def test_record_rows_need_a_known_enterprise_in_the_jurisdiction(world, sign_in):
    content = workbook_bytes([], {"inspection": [[world.e["a_h"].uscc, "查-1", "2027-01-05",
                                                  "fail"]]})
    html = upload(sign_in(world.u["recorder"]), content, "x.xlsx").get_data(as_text=True)
    assert "工作表“监督检查” 第2行 A列" in html


def test_big_files_are_refused_with_a_pointer_to_the_command_line(app, world, sign_in):
    app.config["IMPORT_MAX_BYTES"] = 1000
    try:
        response = upload(sign_in(world.u["recorder"]), b"{" + b" " * 5000 + b"}", "big.json")
    finally:
        app.config["IMPORT_MAX_BYTES"] = 10 * 2**20
    assert response.status_code == 413
    assert "flask --app wsgi credit import FILE" in response.get_data(as_text=True)


def test_too_many_rows_are_refused(app, world, sign_in):
    rows = [[make_uscc("91", "230803", f"7900{i:04d}"), f"企业{i}", "向阳区", "2015-06-01"]
            for i in range(30)]
    app.config["IMPORT_MAX_ROWS"] = 20
    try:
        response = upload(sign_in(world.u["recorder"]), workbook_bytes(rows, {}), "rows.xlsx")
    finally:
        app.config["IMPORT_MAX_ROWS"] = 50000
    assert response.status_code == 413


def test_not_a_workbook(world, sign_in):
    html = upload(sign_in(world.u["recorder"]), b"not a zip", "bad.xlsx").get_data(
        as_text=True)
    assert "无法读取该文件" in html


@pytest.mark.parametrize("bad", [b"[]", b"{\"format\": \"other\"}", b"\xff\xfe"])
def test_unreadable_json_is_a_problem_not_a_crash(world, sign_in, bad):
    response = upload(sign_in(world.u["recorder"]), bad, "bad.json")
    assert response.status_code == 200 and "有1个问题" in response.get_data(as_text=True)
