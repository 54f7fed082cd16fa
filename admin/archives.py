"""The archive: enterprises (list, search, filters, the enterprise page) and their records."""

from __future__ import annotations

from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from admin import forms
from admin.views import StaffModelView, as_int, forbidden, not_found
from admin.wording import GRADES, RECORD_TYPES, problem_text, value_label, workflow_message
from credit import clock
from credit.extensions import db
from credit.industries import division_choices, industry_label
from credit.models import AuditEntry, Enterprise, Grade, Record, User
from credit.permissions import can_read_archives, can_record, can_record_any
from credit.services import archive
from credit.services.dossier import find_enterprise, load_dossier
from credit.services.scoping import scope_to_jurisdiction
from credit.services.staff_search import division_of, enterprise_condition
from credit.vocabulary import DISTRICTS, QUALIFICATIONS, RECORD_KINDS
from credit.workflows.errors import WorkflowError

# -- filters ------------------------------------------------------------------------------------


class EqualsFilter(BaseSQLAFilter):
    def apply(self, query, value, alias=None):
        return query.filter(self.column == value)

    def operation(self):
        return _l("是")


class GradeFilter(BaseSQLAFilter):
    """Enterprises holding a grade (a join on the indexed grade column)."""

    def apply(self, query, value, alias=None):
        return query.join(Grade, Grade.enterprise_id == Enterprise.id).filter(Grade.grade == value)

    def operation(self):
        return _l("是")


class IndustryFilter(BaseSQLAFilter):
    """Enterprises of an industry division: equality on the indexed expression
    ``substr(industry, 1, 3)``, which also keeps the newest-first order indexed."""

    def apply(self, query, value, alias=None):
        return query.filter(division_of(Enterprise.industry) == value)

    def operation(self):
        return _l("属于")


class DateFromFilter(BaseSQLAFilter):
    def clean(self, value):
        import datetime as dt

        return dt.date.fromisoformat(value)

    def validate(self, value):
        import datetime as dt

        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return False
        return True

    def apply(self, query, value, alias=None):
        return query.filter(self.column >= value)

    def operation(self):
        return _l("不早于")


def _record_district():
    """A record's jurisdiction, read per row from its enterprise (a primary-key lookup).

    Scoping records this way lets both databases walk the records newest first and stop after
    a page. SQLite would otherwise turn the condition into a join driven by the district index
    and gather and sort every record of the jurisdiction first (over a million at city scale);
    ``|| ''`` keeps it from using that index. PostgreSQL runs the subquery per row.
    """
    return (select(Enterprise.district + "").where(Enterprise.id == Record.enterprise_id)
            .scalar_subquery())


class RecordDistrictFilter(BaseSQLAFilter):
    def apply(self, query, value, alias=None):
        return query.filter(_record_district() == value)

    def operation(self):
        return _l("是")


def _district_options():
    return [(d, d) for d in DISTRICTS]


def _grade_options():
    return [(g, f"{g} {GRADES[g]}") for g in GRADES]


def _type_options():
    return [(t, str(RECORD_TYPES[t])) for t in RECORD_KINDS]


def _division_options():
    return [(code, f"{name}（{code}）") for code, name in division_choices()]


# -- formatters ---------------------------------------------------------------------------------


def _grade_badge(letter: str | None) -> Markup:
    if not letter:
        return Markup('<span class="grade grade-none">–</span>')
    return Markup('<span class="grade grade-{0}" title="{1}">{0}</span>').format(
        letter, GRADES[letter])


def _enterprise_link(view, context, model, name):
    url = view.get_url(".details_view", id=model.id)
    return Markup('<a href="{}">{}</a>').format(url, model.name)


def save_archive_change(form, act) -> bool:
    """Run an archive service and commit; put each refused field's problem on its field."""
    try:
        act()
        db.session.commit()
    except (archive.InvalidRecord, archive.InvalidEnterprise) as exc:
        db.session.rollback()
        for item in exc.problems.items:
            place, _sep, message = item.partition(": ")
            name = place.rsplit(".", 1)[-1]
            field = form[name] if name in form else None
            text = problem_text(message)
            if field is not None:
                field.errors = [*field.errors, text]
            else:
                flash(text, "error")
        return False
    except WorkflowError as exc:
        db.session.rollback()
        flash(workflow_message(exc), "error")
        return False
    return True


# -- enterprises --------------------------------------------------------------------------------


class EnterpriseAdmin(StaffModelView):
    """Enterprises in the user's jurisdiction; the page of one enterprise."""

    column_list = ("name", "uscc", "district", "industry", "grade", "established_on")
    column_labels = {"name": _l("企业名称"), "uscc": _l("统一社会信用代码"),
                     "district": _l("辖区"), "industry": _l("行业"), "grade": _l("信用等级"),
                     "established_on": _l("成立日期")}
    # Only indexed orders: newest first (default) and by name.
    column_sortable_list = ("name",)
    column_default_sort = ("id", True)
    column_searchable_list = ("name", "uscc")
    column_formatters = {
        "name": _enterprise_link,
        "industry": lambda v, c, m, n: industry_label(m.industry),
        "grade": lambda v, c, m, n: _grade_badge(m.grade_row[0].grade if m.grade_row else None),
    }
    column_filters = (
        EqualsFilter(Enterprise.district, _l("辖区"), options=_district_options),
        GradeFilter(Enterprise.id, _l("信用等级"), options=_grade_options),
        IndustryFilter(Enterprise.industry, _l("行业"), options=_division_options),
    )
    def allowed(self, user: User) -> bool:
        return can_read_archives(user)

    def scope(self, query):
        return scope_to_jurisdiction(query, current_user, Enterprise.district)

    def get_query(self):
        return super().get_query().options(joinedload(Enterprise.grade_row))

    def search_placeholder(self):
        return _("名称、统一社会信用代码或拼音首字母")

    def _apply_search(self, query, count_query, joins, count_joins, search):
        condition = enterprise_condition(search)
        if condition is not None:
            query = query.filter(condition)
            if count_query is not None:
                count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    # -- registering an enterprise and correcting its registration facts (recorders) ---------

    @property
    def can_create(self) -> bool:
        return can_record_any(current_user)

    @property
    def can_edit(self) -> bool:
        return can_record_any(current_user)

    def _handle_view(self, name, **kwargs):
        if name in ("create_view", "edit_view") and self.is_accessible() \
                and not can_record_any(current_user):
            forbidden()
        return super()._handle_view(name, **kwargs)

    def _enterprise_form(self, form_class, **kwargs):
        form = form_class(**kwargs)
        districts = [current_user.jurisdiction] if current_user.jurisdiction else DISTRICTS
        form.district.choices = forms.choice_list((d, d) for d in districts)
        form.qualification.choices = forms.choice_list(
            (q, value_label("qualification", q)) for q in QUALIFICATIONS)
        return form

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        form = self._enterprise_form(forms.EnterpriseForm)
        if form.validate_on_submit():
            data = forms.enterprise_data(form)
            created = []
            if self._save(form, lambda: created.append(
                    archive.create_enterprise(current_user, data))):
                flash(_("已登记企业。"), "success")
                return redirect(self.get_url(".details_view", id=created[0].id))
        return self.render("admin/enterprises/form.html", form=form, enterprise=None)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        enterprise = self.get_one(request.args.get("id"))
        if not can_record(current_user, enterprise):
            forbidden()
        if request.method == "POST":
            form = self._enterprise_form(forms.EnterpriseEditForm)
        else:
            form = self._enterprise_form(
                forms.EnterpriseEditForm, formdata=None, obj=enterprise,
                data={"products": "\n".join(enterprise.products or [])})
        if form.validate_on_submit():
            data = forms.enterprise_data(form, uscc=enterprise.uscc)
            if self._save(form, lambda: archive.update_enterprise(
                    current_user, enterprise, data, reason=form.reason.data)):
                flash(_("已更正登记信息。"), "success")
                return redirect(self.get_url(".details_view", id=enterprise.id))
        return self.render("admin/enterprises/form.html", form=form, enterprise=enterprise)

    def _save(self, form, act) -> bool:
        return save_archive_change(form, act)

    @expose("/details/")
    def details_view(self):
        enterprise = self.get_one(request.args.get("id"))
        dossier = load_dossier(current_user, enterprise, clock.today())
        from admin.warnings import honours_section

        return self.render("admin/enterprises/page.html", d=dossier,
                           honours=honours_section(current_user, enterprise),
                           may_record=can_record(current_user, enterprise),
                           record_types=list(RECORD_KINDS), today=clock.today())


# -- records ------------------------------------------------------------------------------------


def _record_summary(view, context, model, name):
    parts = [value_label(spec.name, getattr(model, spec.name))
             if spec.kind == "enum" else str(getattr(model, spec.name) or "")
             for spec in model.kind.fields]
    return "，".join(p for p in parts if p)


class RecordAdmin(StaffModelView):
    """Archive records of enterprises in the user's jurisdiction; one record's page."""

    column_list = ("enterprise", "type", "ref", "date", "summary", "source", "recorded_at")
    column_labels = {"enterprise": _l("企业"), "type": _l("记录类型"), "ref": _l("文书编号"),
                     "date": _l("日期"), "summary": _l("内容"), "source": _l("来源"),
                     "recorded_at": _l("录入时间")}
    column_sortable_list = ()  # newest first; sorting 12 million rows by date is no list
    column_default_sort = ("id", True)
    column_formatters = {
        "enterprise": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            v.get_url("enterprises.details_view", id=m.enterprise_id), m.enterprise.name),
        "type": lambda v, c, m, n: RECORD_TYPES[m.type],
        "summary": _record_summary,
        "ref": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            v.get_url(".details_view", id=m.id), m.ref),
        "recorded_at": lambda v, c, m, n: m.recorded_at.strftime("%Y-%m-%d %H:%M")
        if m.recorded_at else "",
    }
    column_filters = (
        EqualsFilter(Record.type, _l("记录类型"), options=_type_options),
        RecordDistrictFilter(Record.id, _l("辖区"), options=_district_options),
    )
    list_template = "admin/records/list.html"

    def allowed(self, user: User) -> bool:
        return can_read_archives(user)

    def scope(self, query):
        enterprise_id = request.args.get("enterprise_id")
        if enterprise_id:
            query = query.filter(Record.enterprise_id == as_int(enterprise_id))
        return scope_to_jurisdiction(query, current_user, _record_district())

    def get_query(self):
        return super().get_query().options(joinedload(Record.enterprise))

    def filtered_enterprise(self) -> Enterprise | None:
        """The enterprise the list is limited to (``?enterprise_id=``), in the user's scope."""
        enterprise_id = request.args.get("enterprise_id")
        return find_enterprise(current_user, as_int(enterprise_id)) if enterprise_id else None

    def get_one(self, id):
        stmt = select(Record).where(Record.id == as_int(id))
        record = db.session.scalar(scope_to_jurisdiction(stmt, current_user,
                                                         _record_district()))
        if record is None:
            not_found()
        return record

    @expose("/details/")
    def details_view(self):
        record = self.get_one(request.args.get("id"))
        trail = db.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "record",
                                     AuditEntry.object_id == str(record.id))
            .order_by(AuditEntry.id.desc()).limit(50)).all()
        return self.render("admin/records/page.html", record=record, trail=trail,
                           may_record=can_record(current_user, record.enterprise))

    # -- adding, correcting and removing records (recorders, in their jurisdiction) ------------

    @property
    def can_create(self) -> bool:
        return can_record_any(current_user)

    def _handle_view(self, name, **kwargs):
        if name in ("create_view", "edit_view", "remove") and self.is_accessible() \
                and not can_record_any(current_user):
            forbidden()
        return super()._handle_view(name, **kwargs)

    @property
    def can_edit(self) -> bool:
        return can_record_any(current_user)

    def _form_page(self, form, enterprise, kind_name, record=None):
        return self.render("admin/records/form.html", form=form, enterprise=enterprise,
                           kind=kind_name, record=record)

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if not request.args.get("enterprise_id"):
            flash(_("请先找到企业，在企业页面上选择要新增的记录类型。"), "info")
            return redirect(self.get_url("enterprises.index_view"))
        enterprise = find_enterprise(current_user, as_int(request.args.get("enterprise_id")))
        kind_name = request.args.get("type")
        if enterprise is None or kind_name not in RECORD_KINDS:
            not_found()
        if not can_record(current_user, enterprise):
            forbidden()
        form = forms.record_form_class(kind_name, correcting=False)()
        if form.validate_on_submit():
            data = forms.record_data(form, kind_name)
            if self._save(form, lambda: archive.add_record(current_user, enterprise, data)):
                return self._saved(enterprise, _("已新增记录。"))
        return self._form_page(form, enterprise, kind_name)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        record = self.get_one(request.args.get("id"))
        enterprise = record.enterprise
        if not can_record(current_user, enterprise):
            forbidden()
        form_class = forms.record_form_class(record.type, correcting=True)
        if request.method == "POST":
            form = form_class()
        else:
            form = form_class(formdata=None, obj=record)
        if form.validate_on_submit():
            data = forms.record_data(form, record.type)
            if self._save(form, lambda: archive.change_record(current_user, record, data,
                                                              reason=form.reason.data)):
                return self._saved(enterprise, _("已更正记录。"))
        return self._form_page(form, enterprise, record.type, record)

    @expose("/remove/", methods=("GET", "POST"))
    def remove(self):
        record = self.get_one(request.args.get("id"))
        enterprise = record.enterprise
        if not can_record(current_user, enterprise):
            forbidden()
        form = forms.RemoveRecordForm()
        if form.validate_on_submit():
            if self._save(form, lambda: archive.remove_record(current_user, record,
                                                              reason=form.reason.data)):
                return self._saved(enterprise, _("已删除记录。"))
        return self.render("admin/records/remove.html", form=form, record=record)

    def _save(self, form, act) -> bool:
        return save_archive_change(form, act)

    def _saved(self, enterprise: Enterprise, message: str):
        grade = db.session.get(Grade, enterprise.id)
        if grade is not None:
            codes = "、".join(r["code"] for r in grade.reasons)
            message += " " + _("当前信用等级：%(g)s %(name)s", g=grade.grade,
                              name=GRADES[grade.grade])
            if codes:
                message += _("（%(codes)s）", codes=codes)
        flash(message, "success")
        return redirect(self.get_url("enterprises.details_view", id=enterprise.id))

