"""What the graded-supervision screens call things, and the Chinese (or English) words for
the refusals of the supervision services (whose own messages are English, for logs).

A service's input problem reads ``field: detail``; ``refusal`` names the field by the label the
form shows it under, so the user knows which box to correct.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin.wording import problem_text, workflow_message
from credit.workflows.errors import ConcurrentChange, InvalidInput, NotPermitted, WorkflowError

PLAN_KINDS = {"routine": _l("日常监督检查"),
              "licence_review": _l("许可证年度监督检查（A级免予实地检查）")}
PLAN_STATES = {"created": _l("已创建（待抽取）"), "drawn": _l("已抽取（检查中）"),
               "closed": _l("已完结"), "cancelled": _l("已取消")}
SEED_SOURCES = {"generated": _l("系统随机生成"), "given": _l("人工给定")}
CHECK_TYPES = {"inspection": _l("监督检查"), "spot_check": _l("监督抽查")}
SUBJECTS = {"product": _l("产品"), "metrology": _l("计量")}
RESULTS = {"pass": _l("合格"), "fail": _l("不合格")}
WARNING_STATES = {"issued": _l("已发出（整改中）"), "rectified": _l("已整改"),
                  "unrectified": _l("未整改"), "withdrawn": _l("已撤回")}
HONOUR_KINDS = {"famous_brand": _l("名牌产品"), "quality_award": _l("质量奖"),
                "inspection_exemption": _l("免检产品"), "support_policy": _l("扶优扶强政策"),
                "other": _l("其他荣誉")}
HONOUR_STATES = {"active": _l("有效"), "suspended": _l("已暂停"), "revoked": _l("已撤销"),
                 "removed": _l("已删除（误录）")}
HONOUR_FLAGS = {"suspend": _l("建议暂停（企业降为C级）"), "revoke": _l("建议撤销（企业降为D级）"),
                "reinstate": _l("建议恢复（企业回到A/B级）")}
HONOUR_ACTIONS = {"flag": _l("标记待处理"), "unflag": _l("撤销标记（等级已恢复）"),
                  "suspend": _l("暂停"), "revoke": _l("撤销"), "reinstate": _l("恢复"),
                  "keep": _l("维持不变"), "register": _l("登记"), "edit": _l("更正"),
                  "remove": _l("删除（误录）")}
REPORT_STATES = {"new": _l("新举报"), "handled": _l("已处理")}
REPORT_CATEGORIES = {"quality": _l("产品质量不合格"), "counterfeit": _l("假冒伪劣"),
                     "short_weight": _l("缺斤短两、计量问题"), "standard": _l("降低标准、无标生产"),
                     "false_claim": _l("虚假宣传"), "after_sales": _l("售后服务"),
                     "other": _l("其他")}


def label(words: dict, value) -> str:
    """The label of a code, or the code itself."""
    if value is None:
        return ""
    found = words.get(value)
    return str(found) if found is not None else str(value)


_KNOWN = (
    (re.compile(r"period: (\S+) is over"),
     lambda m: _("抽查期间%(p)s已过，只能安排本月或以后的月份。", p=m.group(1))),
    (re.compile(r"period: (\S+) is more than (\d+) months ahead"),
     lambda m: _("抽查期间%(p)s超过%(n)s个月以后。", p=m.group(1), n=m.group(2))),
    (re.compile(r"period: .* is not a month"), lambda m: _("抽查期间应为YYYY-MM格式的月份。")),
    (re.compile(r"(\S+) already has plan (\d+) \((\S+)\) for (\S+)"),
     lambda m: _("%(j)s在%(p)s已有同类计划（编号%(id)s）；须先取消该计划（并说明理由）。",
                 j=m.group(1), p=m.group(4), id=m.group(2))),
    (re.compile(r"another plan for .* was created meanwhile"),
     lambda m: _("其他人刚刚为同一期间和辖区创建了计划，没有保存。请刷新后再试。")),
    (re.compile(r"the pool has (\d+) inspector\(s\); a team needs (\d+)"),
     lambda m: _("执法检查人员名录库只有%(n)s人，每组需要%(k)s人：请先补充名录库。",
                 n=m.group(1), k=m.group(2))),
    (re.compile(r"jurisdiction: name at least one"), lambda m: _("请至少选择一个辖区。")),
    (re.compile(r"result\(s\) are already in the archive"),
     lambda m: _("该计划已录入检查结果，不能取消；请办结。")),
    (re.compile(r"a cancellation needs its reason"), lambda m: _("请填写取消理由。")),
    (re.compile(r"seed: give 1 to (\d+) characters"),
     lambda m: _("随机种子：应为1到%(n)s个字符。", n=m.group(1))),
    (re.compile(r"seed: no spaces"), lambda m: _("随机种子：首尾不能有空格，不能含控制字符。")),
    (re.compile(r"a yellow card is for an enterprise graded C now"),
     lambda m: _("只能对当前为C级的企业发出黄牌警告。")),
    (re.compile(r"already has open warning (\S+)"),
     lambda m: _("该企业已有未办结的黄牌警告（%(n)s）。", n=m.group(1))),
    (re.compile(r"the rectification deadline must be a day after today"),
     lambda m: _("整改期限：应为今天以后的日期。")),
    (re.compile(r"the rectification deadline is more than (\d+) days"),
     lambda m: _("整改期限：不能超过%(n)s天。", n=m.group(1))),
    (re.compile(r"the follow-up date must be from (\S+) to (\S+)"),
     lambda m: _("跟进日期：应在%(a)s至%(b)s之间。", a=m.group(1), b=m.group(2))),
    (re.compile(r"nothing to keep: the honour is not flagged"),
     lambda m: _("该荣誉没有待处理标记，无需“维持”决定。")),
    (re.compile(r"awarded_on: a date, not in the future"),
     lambda m: _("授予日期：不能晚于今天。")),
    (re.compile(r"expires_on: must be after awarded_on"),
     lambda m: _("有效期至：应晚于授予日期。")),
    (re.compile(r"badge_no: (.+) is already in the pool"),
     lambda m: _("执法证号：%(b)s已在名录库中。", b=m.group(1))),
    (re.compile(r"was already handled"), lambda m: _("该举报已经处理过了。")),
    (re.compile(r"is empty$|needs its reason|needs its reasons|say what was done|: required$"),
     lambda m: _("请填写必填的说明或理由。")),
)


def refusal(exc: WorkflowError, fields: dict | None = None) -> str:
    """A refused step in the interface language; an input problem names its field."""
    text = str(exc)
    if not isinstance(exc, ConcurrentChange | NotPermitted):
        for pattern, word in _KNOWN:
            match = pattern.search(text)
            if match:
                return word(match)
    if isinstance(exc, InvalidInput) and fields:
        for key, field_label in fields.items():
            prefix = f"{key}:"
            if text.startswith(prefix) or text.startswith(f"{key} "):
                detail = text.split(":", 1)[1].strip() if ":" in text else text
                return _("%(field)s：%(error)s", field=field_label, error=problem_text(detail))
    message = workflow_message(exc)
    if isinstance(exc, InvalidInput):
        return f"{message}（{text}）"
    return message
