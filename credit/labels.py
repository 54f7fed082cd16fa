"""Translatable labels of the domain's codes, shared by the staff backend and the public site.

The domain keeps codes (``spot_check``) and their Chinese names (``credit.vocabulary``); the
pages show them through Flask-Babel so that the English switch translates them. Both sides read
them here, so that a record type is called the same everywhere (``tests/admin/test_wording.py``
keeps these in step with the vocabulary).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: Record type code -> its name (the kinds of quality records in an archive, policy 二).
RECORD_TYPES = {
    "spot_check": _l("监督抽查"),
    "inspection": _l("监督检查"),
    "supervised_test": _l("监督检验"),
    "violation": _l("违法违规"),
    "false_claim": _l("虚假宣传"),
    "complaint": _l("投诉索赔退货"),
    "accident": _l("质量事故"),
    "permit": _l("行政许可"),
    "standard": _l("执行标准"),
    "after_sales": _l("售后服务"),
    "pass_rate": _l("出厂合格率"),
}
