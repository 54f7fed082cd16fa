"""Bulk import from the browser: a JSON archive or the Excel template, checked first (every
problem with its sheet, row and column, or its JSON path), then loaded all or nothing.

The upload is kept under ``instance/uploads/`` between the check and the import (named by a
random token remembered in the user's session, removed after the import or a day later).
Files above ``IMPORT_MAX_BYTES`` (or workbooks above ``IMPORT_MAX_ROWS`` rows) are refused
with a pointer to ``flask --app wsgi credit import FILE``.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from io import BytesIO
from pathlib import Path

from flask import current_app, flash, redirect, send_file, session, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge

from admin.views import AdminForm, StaffView
from admin.wording import FIELDS, problem_text, value_label, workflow_message
from credit import clock
from credit.config import INSTANCE
from credit.extensions import db
from credit.models import User
from credit.permissions import can_record_any
from credit.services import workbook
from credit.services.exchange import validate_file, write_archive
from credit.services.importer import (
    InvalidArchive,
    check_registered_districts,
    import_archive,
)
from credit.workflows.errors import WorkflowError

UPLOADS = INSTANCE / "uploads"
KEEP_SECONDS = 24 * 3600
CLI = "flask --app wsgi credit import FILE"


class UploadForm(AdminForm):
    file = FileField(_l("档案文件（.json 或 .xlsx）"), validators=[FileRequired(_l("请选择文件"))])


class ConfirmImportForm(AdminForm):
    """The import step: the token of the checked file travels in the session, not the form."""


def _guide() -> list[str]:
    return [
        _("佳木斯企业质量信用档案导入模板"),
        _("“企业”工作表每行一个企业；每种记录类型一个工作表，每行一条记录，按统一社会信用代码(uscc)对应企业。"),
        _("第一行是列名，括号中的英文是系统读取的字段名，请勿修改；可以删除不用的工作表。"),
        _("日期用YYYY-MM-DD格式或Excel日期；合格率填0到1之间的数（如0.98）或百分数。"),
        _("主要产品可填多个，用顿号或分号分隔。"),
        _("记录所属企业若已在档案中（且在您的管辖范围内），可以不在“企业”工作表中重复填写。"),
        _("导入前系统会先检查，列出每个问题所在的工作表、行和列；有任何问题时不会导入任何内容。"),
        _("超过%(mb)dMB或%(rows)d行的档案请转换为JSON交换格式，用命令行导入：%(cli)s",
          mb=current_app.config["IMPORT_MAX_BYTES"] // 2**20,
          rows=current_app.config["IMPORT_MAX_ROWS"], cli=CLI),
    ]


def _clean_old_uploads() -> None:
    if not UPLOADS.is_dir():
        return
    limit = time.time() - KEEP_SECONDS
    for path in UPLOADS.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def _paths(token: str) -> tuple[Path, Path]:
    return UPLOADS / f"{token}.json", UPLOADS / f"{token}.places.json"


def _place_text(place) -> str:
    if isinstance(place, workbook.Cell):
        if place.row and place.column:
            return _("工作表“%(s)s” 第%(r)d行 %(c)s列", s=place.sheet, r=place.row, c=place.column)
        if place.row:
            return _("工作表“%(s)s” 第%(r)d行", s=place.sheet, r=place.row)
        return _("工作表“%(s)s”", s=place.sheet)
    return str(place) or _("文件")


class ImportAdmin(StaffView):
    """Upload, check, import."""

    def allowed(self, user: User) -> bool:
        return can_record_any(user)

    def create_blueprint(self, admin):
        blueprint = super().create_blueprint(admin)
        blueprint.register_error_handler(RequestEntityTooLarge, self._too_large)
        return blueprint

    def _too_large(self, exc):
        return self._page(UploadForm(formdata=None), too_large=True), 413

    def _page(self, form, **context):
        return self.render("admin/import.html", form=form, cli=CLI,
                           max_mb=current_app.config["IMPORT_MAX_BYTES"] // 2**20,
                           max_rows=current_app.config["IMPORT_MAX_ROWS"], **context)

    @expose("/")
    def index(self):
        return self._page(UploadForm(formdata=None))

    @expose("/template.xlsx")
    def template(self):
        stream = BytesIO()
        workbook.template_workbook(stream, {k: str(v) for k, v in FIELDS.items()},
                                   value_label, _guide())
        stream.seek(0)
        return send_file(stream, as_attachment=True, download_name="jms-archive-template.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument."
                                  "spreadsheetml.sheet")

    @expose("/check", methods=("POST",))
    def check(self):
        form = UploadForm()
        if not form.validate_on_submit():
            return self._page(form)
        _clean_old_uploads()
        UPLOADS.mkdir(parents=True, exist_ok=True)
        upload = form.file.data
        name = os.path.basename(upload.filename or "archive")
        token = secrets.token_urlsafe(16)
        is_workbook = name.lower().endswith(".xlsx")
        raw = UPLOADS / f"{token}.upload{'.xlsx' if is_workbook else ''}"
        upload.save(raw)
        limit = current_app.config["IMPORT_MAX_BYTES"]
        if raw.stat().st_size > limit:
            raw.unlink()
            return self._page(form, too_large=True), 413
        archive, places_path = _paths(token)
        converted = None
        try:
            if is_workbook:
                converted = self._convert(raw, archive)
            else:
                raw.replace(archive)
        except workbook.WorkbookTooLarge:
            return self._page(form, too_large=True), 413
        except ValueError:
            return self._page(form, unreadable=True)
        finally:
            raw.unlink(missing_ok=True)
        today = clock.today()
        jurisdiction = current_user.jurisdiction
        survey = validate_file(str(archive), today,
                               districts=None if jurisdiction is None else (jurisdiction,))
        if not survey.problems:
            check_registered_districts(survey, current_user)
        if converted is not None:
            problems = converted.problems + converted.locate(survey.problems)
        else:
            problems = workbook.Converted().locate(survey.problems)
        if problems:
            archive.unlink(missing_ok=True)
            listed = [(_place_text(p.place), problem_text(p.message), p.message)
                      for p in problems]
            return self._page(form, problems=listed, file_name=name)
        if converted is not None:
            places_path.write_text(json.dumps({k: [c.sheet, c.row, c.column]
                                               for k, c in converted.places.items()}))
        session["import_upload"] = {"token": token, "name": name, "user": current_user.id}
        return self._page(form, ready={"name": name, "enterprises": survey.enterprises,
                                       "records": survey.records},
                          confirm=ConfirmImportForm(formdata=None))

    def _convert(self, raw: Path, archive: Path) -> workbook.Converted:
        config = current_app.config
        workbook.check_archive_size(str(raw), max_uncompressed=config["IMPORT_MAX_BYTES"] * 20)
        converted = workbook.read_workbook(
            str(raw), max_rows=config["IMPORT_MAX_ROWS"],
            existing=lambda usccs: workbook.existing_enterprises(current_user, usccs))
        with archive.open("w", encoding="utf-8") as out:
            write_archive(out, converted.objects)
        return converted

    @expose("/run", methods=("POST",))
    def run(self):
        form = ConfirmImportForm()
        pending = session.get("import_upload") or {}
        archive, places_path = _paths(pending.get("token", "-"))
        if (not form.validate_on_submit() or pending.get("user") != current_user.id
                or not archive.is_file()):
            flash(_("没有待导入的文件，或文件已过期。请重新上传并检查。"), "error")
            return redirect(url_for(".index"))
        session.pop("import_upload", None)
        try:
            result = import_archive(str(archive), today=clock.today(),
                                    source=f"upload:{pending['name']}"[:200],
                                    actor=current_user)
            db.session.commit()
        except InvalidArchive as exc:
            db.session.rollback()
            places = {}
            if places_path.is_file():
                places = {k: workbook.Cell(*v)
                          for k, v in json.loads(places_path.read_text()).items()}
            located = workbook.Converted(places=places).locate(exc.problems)
            listed = [(_place_text(p.place), problem_text(p.message), p.message)
                      for p in located]
            return self._page(UploadForm(formdata=None), problems=listed,
                              file_name=pending["name"])
        except WorkflowError as exc:  # e.g. an enterprise moved out of reach meanwhile
            db.session.rollback()
            flash(workflow_message(exc), "error")
            return redirect(url_for(".index"))
        finally:
            archive.unlink(missing_ok=True)
            places_path.unlink(missing_ok=True)
        return self._page(UploadForm(formdata=None), result=result.summary(),
                          file_name=pending["name"])
