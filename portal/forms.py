"""Portal forms: sign-in, the public report (举报), and the enterprise's own actions."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from credit import clock
from credit.services.reports import DESCRIPTION_MAX, DESCRIPTION_MIN, ENTERPRISE_MAX

ANSWER_MAX = 5000
STATEMENT_MAX = 5000


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=200)])


REPORT_CATEGORIES = [
    SelectChoice("quality", _l("产品质量不合格")),
    SelectChoice("counterfeit", _l("假冒伪劣")),
    SelectChoice("short_weight", _l("缺斤短两、计量问题")),
    SelectChoice("standard", _l("降低标准、无标准生产")),
    SelectChoice("false_claim", _l("虚假广告、虚假宣传")),
    SelectChoice("after_sales", _l("售后服务问题")),
    SelectChoice("other", _l("其他质量问题")),
]


def _not_future(form, field):
    if field.data and field.data > clock.today():
        raise ValidationError(_l("日期不能晚于今天。"))


class ReportForm(FlaskForm):
    enterprise = StringField(
        _l("被举报企业（名称或统一社会信用代码）"),
        validators=[DataRequired(_l("请填写企业名称或统一社会信用代码。")),
                    Length(max=ENTERPRISE_MAX)])
    category = SelectField(_l("问题类型"), choices=REPORT_CATEGORIES,
                           validators=[DataRequired()])
    description = TextAreaField(
        _l("问题描述"),
        description=_l("产品名称、购买或发现的时间地点、问题情况等，%(low)s至%(high)s字。",
                       low=DESCRIPTION_MIN, high=DESCRIPTION_MAX),
        validators=[DataRequired(_l("请描述问题。")),
                    Length(min=DESCRIPTION_MIN, max=DESCRIPTION_MAX,
                           message=_l("问题描述应为%(min)d至%(max)d字。"))])
    occurred_on = DateField(_l("发现日期（选填）"), validators=[Optional(), _not_future])
    contact_name = StringField(_l("联系人（选填）"), validators=[Optional(), Length(max=50)])
    contact_phone = StringField(
        _l("联系电话（选填）"),
        validators=[Optional(), Length(max=30),
                    Regexp(r"^[0-9+\-() ]{5,30}$", message=_l("请填写有效的电话号码。"))])
    contact_email = StringField(
        _l("电子邮箱（选填）"),
        validators=[Optional(), Length(max=120),
                    Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("请填写有效的电子邮箱。"))])


class VersionForm(FlaskForm):
    """A button that acts on one object: the version shown, for optimistic locking."""

    version = IntegerField(validators=[Optional()])


class AnswerForm(VersionForm):
    text = TextAreaField(_l("陈述申辩内容"),
                         validators=[DataRequired(_l("请填写陈述申辩内容。")),
                                     Length(max=ANSWER_MAX)])


class RepairForm(FlaskForm):
    statement = TextAreaField(
        _l("信用修复申请说明"),
        description=_l("说明已经完成的整改、履行的义务和有关证明材料。"),
        validators=[DataRequired(_l("请填写申请说明。")), Length(max=STATEMENT_MAX)])
