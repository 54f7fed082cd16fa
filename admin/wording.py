"""What the staff backend calls things: translatable labels for codes kept in the domain.

The rulebook (``credit/rules``) stays free of Flask; its rules carry a Chinese description for
the command line. The backend shows the same wording through Flask-Babel, so the English
switch translates it; a test keeps the two in step.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from credit.labels import RECORD_TYPES  # noqa: F401  (the backend reads them from here)
from credit.workflows.errors import (
    ConcurrentChange,
    InvalidInput,
    InvalidTransition,
    NotEligible,
    NotPermitted,
    WorkflowError,
)

GRADES = {"A": _l("守信"), "B": _l("基本守信"), "C": _l("失信"), "D": _l("严重失信")}

#: The rule's wording (as in credit/rules/catalogue.py) and the policy clause it applies.
RULES = {
    "D1": _l("法定资质无效或缺失，或现存未取得行政许可的记录"),
    "D2": _l("当年有故意生产假冒伪劣产品的违法记录"),
    "D3": _l("行政许可未通过，或整改期限已过仍未完成整改"),
    "D4": _l("当年监督抽查相邻两次均不合格，或监督检验严重不合格、未经检验出厂"),
    "D5": _l("当年有造成重大危害的虚假广告、虚假数据或虚假宣传"),
    "D6": _l("现存无标准生产或不按标准生产的情况"),
    "D7": _l("当年有足以吊销许可证照或移送司法机关的严重违法行为"),
    "D8": _l("现存严重违反售后服务承诺的情况"),
    "D9": _l("当年因产品质量问题发生重大事故"),
    "C1": _l("行政许可正在整改，且尚未超过整改期限"),
    "C2": _l("当年监督抽查或监督检查不合格"),
    "C3": _l("当年监督检验不合格，或现行出厂合格率低于百分之百"),
    "C4": _l("现存产品质量低于明示或承诺标准的情况"),
    "C5": _l("当年有危害较轻的虚假广告、虚假数据或虚假宣传"),
    "C6": _l("当年有逾期处理或未处理的投诉，或发生一般质量事故"),
    "C7": _l("现存售后服务不到位的情况"),
    "C8": _l("当年有一般性质量或计量违法违规行为"),
    "A1": _l("成立满三年，且三年内抽查、检查均合格并无任何违法记录"),
    "A5": _l("当年没有任何投诉，也没有发生质量事故"),
    "B1-new": _l("成立未满两年，且没有任何失信情形"),
}

#: Policy 佳市监发〔2020〕42号, section 三: the clause each rule applies.
CLAUSES = {
    "D1": "三(四)1", "D2": "三(四)2", "D3": "三(四)3", "D4": "三(四)4", "D5": "三(四)5",
    "D6": "三(四)6", "D7": "三(四)7", "D8": "三(四)8", "D9": "三(四)",
    "C1": "三(三)1", "C2": "三(三)2", "C3": "三(三)3", "C4": "三(三)4", "C5": "三(三)5",
    "C6": "三(三)6", "C7": "三(三)7", "C8": "三(三)",
    "A1": "三(一)1", "A5": "三(一)5", "B1-new": "三(二)1",
}

FIELDS = {
    "uscc": _l("统一社会信用代码"),
    "name": _l("企业名称"),
    "district": _l("辖区"),
    "established_on": _l("成立日期"),
    "qualification": _l("法定资质"),
    "industry": _l("行业代码"),
    "address": _l("地址"),
    "products": _l("主要产品"),
    "type": _l("记录类型"),
    "ref": _l("文书编号"),
    "date": _l("日期"),
    "note": _l("备注"),
    "subject": _l("抽查对象"),
    "result": _l("结果"),
    "category": _l("类别"),
    "severity": _l("严重程度"),
    "harm": _l("危害程度"),
    "resolution": _l("处理情况"),
    "status": _l("许可状态"),
    "deadline": _l("整改期限"),
    "finding": _l("发现问题"),
    "rate": _l("合格率"),
    "resolved_on": _l("解除日期"),
    "records": _l("记录"),
}

#: Labels of enumerated field values, by field and then by (record type, field) where a value
#: means something different for one type.
VALUES = {
    "subject": {"product": _l("产品质量"), "metrology": _l("计量")},
    "result": {"pass": _l("合格"), "fail": _l("不合格"), "severe": _l("严重不合格"),
               "untested": _l("未经监督检验出厂")},
    "category": {"quality": _l("质量"), "metrology": _l("计量"),
                 "counterfeit": _l("故意生产假冒伪劣")},
    "severity": {"general": _l("一般"), "serious": _l("严重（可吊销证照或移送司法）"),
                 "major": _l("重大")},
    "harm": {"minor": _l("危害较轻"), "major": _l("造成重大危害")},
    "resolution": {"timely": _l("及时处理"), "late": _l("逾期处理"), "unresolved": _l("未处理")},
    "status": {"held": _l("已取得"), "rectifying": _l("整改中"), "failed": _l("未通过"),
               "missing": _l("未取得")},
    "finding": {"below_declared": _l("低于明示或承诺标准"),
                "no_standard": _l("无标准或不按标准生产"),
                "deficient": _l("售后服务不到位"), "serious_breach": _l("严重违反售后服务承诺")},
    "qualification": {"valid": _l("有效"), "invalid": _l("无效或缺失")},
}

CAUSES = {
    "record_added": _l("新增记录"),
    "record_changed": _l("更正记录"),
    "record_removed": _l("删除记录"),
    "enterprise_added": _l("登记企业"),
    "enterprise_changed": _l("登记信息变更"),
    "import": _l("批量导入"),
    "time_passed": _l("时间推移"),
    "year_rollover": _l("跨年重算"),
    "manual_regrade": _l("人工重算"),
}

STATES = {
    "a_application": {
        "inspection_pending": _l("待检验机构意见"), "evaluating": _l("待省级评价"),
        "approved": _l("评价通过，待公示"), "rejected": _l("评价未通过"),
        "published": _l("已公示"), "expired": _l("公示期满"), "withdrawn": _l("已终止"),
    },
    "d_case": {
        "proposed": _l("待复核"), "confirmed": _l("已复核确认，待告知"),
        "dismissed": _l("复核不予认定"),
        "notified": _l("已告知，陈述申辩期内"), "answered": _l("已陈述申辩，待决定"),
        "answer_closed": _l("申辩期满，待决定"), "published": _l("已公示"),
        "not_published": _l("决定不予公示"),
    },
    "repair": {
        "applied": _l("待受理"), "accepted": _l("已受理，待核实"), "refused": _l("不予受理"),
        "approved": _l("修复通过"), "rejected": _l("修复未通过"),
        "ended": _l("名单已移出，申请终止"),
    },
    "listing": {"live": _l("公示中"), "prompted": _l("等级已变，待决定是否移出"),
                "removed": _l("已移出")},
}

LISTING_KINDS = {"A": _l("守信企业公示"), "D": _l("严重失信名单")}

REMOVAL_REASONS = {
    "expired": _l("公示期满"), "withdrawn_consent": _l("企业撤回同意"),
    "grade_fell": _l("等级降低"), "repaired": _l("信用修复"),
    "publisher_decision": _l("发布员决定"),
}

QUEUES = {
    "a_inspection": _l("守信公示申请：待检验机构意见"),
    "a_evaluation": _l("守信公示申请：待省级评价"),
    "a_publication": _l("守信公示申请：待公示"),
    "d_review": _l("严重失信案件：待复核"),
    "d_notice": _l("严重失信案件：待告知企业"),
    "d_answer": _l("严重失信案件：陈述申辩期内"),
    "d_decision": _l("严重失信案件：待决定是否公示"),
    "repair_accept": _l("信用修复：待受理（2个工作日）"),
    "repair_verify": _l("信用修复：待核实（15个工作日）"),
    "listing_removal": _l("等级已变：待决定是否移出名单"),
    "listing_expiring": _l("30日内到期的公示"),
}

ROLES = {
    "city_admin": _l("市局管理员"), "recorder": _l("录入员"), "reviewer": _l("复核员"),
    "publisher": _l("发布员"), "evaluator": _l("省级评价"), "inspector": _l("检验机构"),
    "auditor": _l("纪检审计"), "enterprise": _l("企业账户"),
}

EVENTS = {
    "record": _l("档案记录"),
    "grade": _l("等级变化"),
    "a_applied": _l("申请守信公示"),
    "a_inspected": _l("检验机构出具意见"),
    "a_evaluated": _l("省级评价"),
    "a_published": _l("守信公示发布"),
    "a_ended": _l("守信公示申请终止"),
    "d_proposed": _l("严重失信案件提出"),
    "d_reviewed": _l("案件复核"),
    "d_notified": _l("告知企业"),
    "d_answered": _l("企业陈述申辩"),
    "d_answer_closed": _l("申辩期满"),
    "d_decided": _l("公示决定"),
    "listing_published": _l("名单发布"),
    "listing_removed": _l("名单移出"),
    "repair_applied": _l("申请信用修复"),
    "repair_handled": _l("信用修复受理决定"),
    "repair_verified": _l("信用修复核实"),
}


def value_label(field: str, value: object) -> str:
    """The label of an enumerated value, or the value itself."""
    if value is None:
        return ""
    label = VALUES.get(field, {}).get(value) if isinstance(value, str) else None
    return str(label) if label is not None else str(value)


def rule_text(code: str) -> str:
    text = RULES.get(code)
    return str(text) if text is not None else code


# -- messages for the errors the domain raises (its messages are English, for logs) -----------

_KNOWN = (
    (re.compile(r"cannot decide yet: the enterprise may answer until (\S+)"),
     lambda m: _("企业可在%(day)s前陈述申辩；收到申辩或期满后方可决定。", day=m.group(1))),
    (re.compile(r"grade is no longer D"),
     lambda m: _("该企业已不是D级，不能公示；请作出不予公示的决定。")),
    (re.compile(r"not eligible at present"), lambda m: _("该企业目前不符合公示条件。")),
    (re.compile(r"choose at least one fact"),
     lambda m: _("请至少选择一项公示事实，或填写公示摘要。")),
    (re.compile(r"only the case's own reasons and records"),
     lambda m: _("只能公示本案的事由和记录。")),
    (re.compile(r"needs its reasons|needs a statement|is empty|needs its"),
     lambda m: _("请填写理由或意见。")),
    (re.compile(r"was removed on"), lambda m: _("该公示已经移出。")),
)

_BY_CLASS = (
    (ConcurrentChange, _l("其他人已先处理了此事项。请查看最新状态后再操作。")),
    (NotPermitted, _l("您无权进行此操作。")),
    (NotEligible, _l("该企业目前不符合条件。")),
    (InvalidInput, _l("填写的内容不完整或不正确。")),
    (InvalidTransition, _l("此事项当前所处的环节不允许该操作，可能已被他人处理。")),
)


def workflow_message(exc: WorkflowError) -> str:
    """A clear Chinese (or English) message for a refused workflow step."""
    text = str(exc)
    if not isinstance(exc, ConcurrentChange | NotPermitted):
        for pattern, word in _KNOWN:
            match = pattern.search(text)
            if match:
                return word(match)
    for cls, message in _BY_CLASS:
        if isinstance(exc, cls):
            return str(message)
    return _("操作未能完成。")


_PROBLEMS = (
    (re.compile(r"^is required$"), lambda m: _("必填")),
    (re.compile(r"is in the future$"), lambda m: _("日期不能晚于今天")),
    (re.compile(r"is before the enterprise was established \((\S+)\)"),
     lambda m: _("早于企业成立日期（%(day)s）", day=m.group(1))),
    (re.compile(r"is before the record's date"), lambda m: _("早于记录日期")),
    (re.compile(r"is already recorded as a"), lambda m: _("该文书编号已登记过同类记录")),
    (re.compile(r"is not one of"), lambda m: _("不是可选的值")),
    (re.compile(r"is not a date"), lambda m: _("不是YYYY-MM-DD格式的日期")),
    (re.compile(r"is not between 0 and 1|must be a number from 0 to 1"),
     lambda m: _("应为0到1之间的数")),
    (re.compile(r"must not be empty"), lambda m: _("不能为空")),
    (re.compile(r"must be at most (\d+) characters"),
     lambda m: _("不能超过%(n)s个字符", n=m.group(1))),
    (re.compile(r"is required for a permit under rectification"),
     lambda m: _("整改中的许可须填写整改期限")),
    (re.compile(r"is not a valid USCC"), lambda m: _("不是有效的统一社会信用代码")),
    (re.compile(r"repeats"), lambda m: _("与前面的内容重复")),
)


def problem_text(detail: str) -> str:
    """A validation problem in the interface language, keeping the domain's words otherwise."""
    for pattern, word in _PROBLEMS:
        match = pattern.search(detail)
        if match:
            return word(match)
    return detail
