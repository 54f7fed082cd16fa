"""Excel exports of internal data: the grade list of a jurisdiction with its reasons.

Written in bounded memory (openpyxl write-only into a temporary file, enterprises read in
keyset pages) and logged in the audit trail before the file leaves.
"""

from __future__ import annotations

import tempfile

from flask import send_file
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField

from admin.forms import choice_list
from admin.views import AdminForm, StaffView
from admin.wording import rule_text
from credit import clock
from credit.extensions import db
from credit.models import User
from credit.permissions import can_export_internal
from credit.services.workbook import write_grade_list
from credit.vocabulary import DISTRICTS


class GradeListForm(AdminForm):
    district = SelectField(_l("辖区"), choices=[])


def _district_choices(user: User) -> list[tuple[str, str]]:
    if user.jurisdiction:
        return [(user.jurisdiction, user.jurisdiction)]
    return [("", _("全市（11个辖区）")), *[(d, d) for d in DISTRICTS]]


class ExportAdmin(StaffView):
    def allowed(self, user: User) -> bool:
        return can_export_internal(user)

    def _form(self, **kwargs) -> GradeListForm:
        form = GradeListForm(**kwargs)
        form.district.choices = choice_list(_district_choices(current_user))
        return form

    @expose("/")
    def index(self):
        return self.render("admin/exports.html", form=self._form(formdata=None))

    @expose("/grades.xlsx", methods=("POST",))
    def grades(self):
        form = self._form()
        if not form.validate_on_submit():
            return self.render("admin/exports.html", form=form), 400
        district = form.district.data or None
        headers = [_("统一社会信用代码"), _("企业名称"), _("辖区"), _("行业代码"), _("信用等级"),
                   _("等级起始日"), _("定级理由"), _("未满足的守信条件")]
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)
        write_grade_list(spool, current_user, district, headers=headers,
                         reason_text=rule_text)
        db.session.commit()  # the audit entry, before the file leaves
        spool.seek(0)
        name = f"grades-{district or current_user.jurisdiction or 'city'}-{clock.today()}.xlsx"
        return send_file(spool, as_attachment=True, download_name=name,
                         mimetype="application/vnd.openxmlformats-officedocument."
                                  "spreadsheetml.sheet")
