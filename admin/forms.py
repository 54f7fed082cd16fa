"""The backend's forms. Each workflow form carries the version the page showed (optimistic
locking), and a comment field where the policy wants reasons. Validation here checks shape
(required, lengths, choices); the domain checks meaning, and says so by raising."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from admin.views import AdminForm

COMMENT_MAX = 2000
REQUIRED = _l("必填")


def choice_list(pairs) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VersionedForm(AdminForm):
    """Every workflow step names the version it was shown."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


def _comment(label, required: bool, description=None):
    checks = [DataRequired(message=REQUIRED)] if required else [Optional()]
    return TextAreaField(label, validators=[*checks, Length(max=COMMENT_MAX)],
                         description=description, render_kw={"rows": 3})


class InspectionForm(VersionedForm):
    opinion = _comment(_l("检验机构评价意见"), True)


class EvaluationForm(VersionedForm):
    approve = RadioField(_l("评价结论"), choices=choice_list([("yes", _l("同意公示")),
                                                     ("no", _l("不同意"))]),
                         validators=[InputRequired(message=REQUIRED)])
    reasons = _comment(_l("评价理由"), True)


class PlainStepForm(VersionedForm):
    """A step that needs only a confirmation (publish, send the notice, accept a repair)."""


class ConfirmCaseForm(VersionedForm):
    note = _comment(_l("复核意见"), False, _l("可选：核实的事实和程度。"))


class DismissCaseForm(VersionedForm):
    note = _comment(_l("不予认定的理由"), True)


class DecideCaseForm(VersionedForm):
    publish = RadioField(_l("决定"),
                         choices=choice_list([("yes", _l("予以公示（列入严重失信名单3年）")),
                                              ("no", _l("不予公示"))]),
                         validators=[InputRequired(message=REQUIRED)])
    reasons = MultiCheckboxField(_l("公示的失信事由"), choices=[], validate_choice=False)
    record_ids = MultiCheckboxField(_l("公示的记录"), choices=[], coerce=int,
                                    validate_choice=False)
    summary = _comment(_l("公示摘要"), False, _l("向社会公示的文字说明（可选）。"))
    note = _comment(_l("决定说明"), False, _l("不予公示时必须说明理由。"))


class RefuseForm(VersionedForm):
    reasons = _comment(_l("理由"), True)


class ApproveRepairForm(VersionedForm):
    reasons = _comment(_l("核实意见"), False)


class RemoveListingForm(VersionedForm):
    note = _comment(_l("移出理由"), True)


# -- accounts --------------------------------------------------------------------------------


class AccountForm(AdminForm):
    username = StringField(_l("用户名"), validators=[DataRequired(message=REQUIRED),
                                                    Length(max=80)])
    name = StringField(_l("姓名或单位"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("角色"), choices=[], validators=[DataRequired(message=REQUIRED)])
    jurisdiction = SelectField(_l("管辖范围"), choices=[])
    uscc = StringField(_l("绑定企业（统一社会信用代码）"), validators=[Optional(), Length(max=18)],
                       description=_l("仅企业账户填写。"))
    password = PasswordField(_l("初始密码"), validators=[DataRequired(message=REQUIRED),
                                                      Length(min=8, max=200)])


class AccountEditForm(AccountForm):
    username = None
    password = None


class PasswordResetForm(AdminForm):
    password = PasswordField(_l("新密码"), validators=[DataRequired(message=REQUIRED),
                                                    Length(min=8, max=200)])


class ActivationForm(AdminForm):
    """Deactivate or reactivate: a button, nothing to fill in."""


# -- archive records: one form per record type, with exactly that type's fields ---------------


def record_form_class(kind_name: str, *, correcting: bool) -> type[AdminForm]:
    """The form of one record type (plus a required reason when a record is corrected)."""
    from wtforms import FloatField
    from wtforms.validators import NumberRange

    from admin.wording import FIELDS
    from credit.vocabulary import RECORD_KINDS

    kind = RECORD_KINDS[kind_name]
    attrs: dict = {
        "ref": StringField(FIELDS["ref"], validators=[DataRequired(message=REQUIRED),
                                                     Length(max=100)]),
        "date": DateField(FIELDS["date"], validators=[InputRequired(message=REQUIRED)],
                          render_kw={"placeholder": "YYYY-MM-DD"}),
    }
    for spec in kind.fields:
        label = FIELDS[spec.name]
        needed = [InputRequired(message=REQUIRED)] if spec.required else [Optional()]
        if spec.kind == "enum":
            attrs[spec.name] = SelectField(
                label, validators=needed,
                choices=choice_list([("", "—"),
                                     *[(v, _LazyLabel(spec.name, v)) for v in spec.values]]))
        elif spec.kind == "date":
            attrs[spec.name] = DateField(label, validators=needed,
                                         render_kw={"placeholder": "YYYY-MM-DD"})
        elif spec.kind == "rate":
            attrs[spec.name] = FloatField(
                label, validators=[*needed, NumberRange(min=0, max=1,
                                                        message=_l("应为0到1之间的数"))],
                description=_l("例如0.98表示98%"))
    if kind.state:
        attrs["resolved_on"] = DateField(FIELDS["resolved_on"], validators=[Optional()],
                                         description=_l("情况消除之日；仍存在则留空。"),
                                         render_kw={"placeholder": "YYYY-MM-DD"})
    attrs["note"] = TextAreaField(FIELDS["note"], validators=[Optional(), Length(max=1000)],
                                  render_kw={"rows": 2})
    if correcting:
        attrs["reason"] = _comment(_l("更正理由"), True, _l("将记入审计日志。"))
    return type(f"{kind.name.title().replace('_', '')}RecordForm", (AdminForm,), attrs)


class _LazyLabel:
    """An option label looked up in the current language when rendered."""

    def __init__(self, field: str, value: str):
        self.field, self.value = field, value

    def __str__(self) -> str:
        from admin.wording import value_label

        return value_label(self.field, self.value)

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))


class RemoveRecordForm(AdminForm):
    reason = _comment(_l("删除理由"), True, _l("仅用于删除录入错误的记录；将记入审计日志。"))


def record_data(form, kind_name: str) -> dict:
    """The exchange-format object a record form describes."""
    from credit.vocabulary import RECORD_KINDS

    kind = RECORD_KINDS[kind_name]
    data: dict = {"type": kind.name, "ref": (form.ref.data or "").strip(),
                  "date": form.date.data.isoformat() if form.date.data else None}
    for spec in kind.fields:
        value = form[spec.name].data
        if spec.kind == "date":
            value = value.isoformat() if value else None
        elif spec.kind == "enum":
            value = value or None
        data[spec.name] = value
    if kind.state:
        data["resolved_on"] = form.resolved_on.data.isoformat() if form.resolved_on.data \
            else None
    note = (form.note.data or "").strip()
    if note:
        data["note"] = note
    return {k: v for k, v in data.items() if v is not None or k in ("ref", "date")}


# -- registration facts ----------------------------------------------------------------------


class EnterpriseForm(AdminForm):
    uscc = StringField(_l("统一社会信用代码"), validators=[DataRequired(message=REQUIRED),
                                                        Length(min=18, max=18)])
    name = StringField(_l("企业名称"), validators=[DataRequired(message=REQUIRED),
                                                  Length(max=200)])
    district = SelectField(_l("辖区"), choices=[], validators=[DataRequired(message=REQUIRED)])
    established_on = DateField(_l("成立日期"), validators=[InputRequired(message=REQUIRED)],
                               render_kw={"placeholder": "YYYY-MM-DD"})
    qualification = SelectField(_l("法定资质"), choices=[],
                                validators=[DataRequired(message=REQUIRED)])
    industry = StringField(_l("行业代码"), validators=[Optional(), Length(max=200)],
                           description=_l("国民经济行业分类代码，例如C1311。"))
    address = StringField(_l("地址"), validators=[Optional(), Length(max=500)])
    products = TextAreaField(_l("主要产品"), validators=[Optional(), Length(max=5000)],
                             description=_l("每行一个，或用顿号分隔。"), render_kw={"rows": 3})


class EnterpriseEditForm(EnterpriseForm):
    uscc = None  # the USCC identifies the enterprise
    reason = _comment(_l("更正理由"), True, _l("将记入审计日志。"))


def enterprise_data(form, uscc: str | None = None) -> dict:
    """The exchange-format object (without records) an enterprise form describes."""
    import re

    products = [p.strip() for p in re.split(r"[、;；\n]+", form.products.data or "")
                if p.strip()]
    data = {"uscc": (uscc or form.uscc.data or "").strip().upper(),
            "name": (form.name.data or "").strip(), "district": form.district.data,
            "established_on": form.established_on.data.isoformat()
            if form.established_on.data else None,
            "qualification": form.qualification.data,
            "industry": (form.industry.data or "").strip().upper() or None,
            "address": (form.address.data or "").strip() or None, "products": products}
    return {k: v for k, v in data.items() if v is not None}
