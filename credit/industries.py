"""Industry names of 国民经济行业分类 (GB/T 4754-2017), for showing an archive's industry code.

The archive stores the code (``C1311``); people read the name. Classes (four digits) are listed
for the manufacturing lines the bureau supervises most; every other code falls back to its
division (``C13``) and then to its section (``C``), so any valid code gets a meaningful name.
"""

from __future__ import annotations

import functools
import re

from flask_babel import get_locale

#: code -> (Chinese name, English name)
SECTIONS: dict[str, tuple[str, str]] = {
    "A": ("农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    "B": ("采矿业", "Mining"),
    "C": ("制造业", "Manufacturing"),
    "D": ("电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water supply"),
    "E": ("建筑业", "Construction"),
    "F": ("批发和零售业", "Wholesale and retail trade"),
    "G": ("交通运输、仓储和邮政业", "Transport, storage and postal services"),
    "H": ("住宿和餐饮业", "Accommodation and catering"),
    "I": ("信息传输、软件和信息技术服务业", "Information transmission, software and IT services"),
    "J": ("金融业", "Finance"),
    "K": ("房地产业", "Real estate"),
    "L": ("租赁和商务服务业", "Leasing and business services"),
    "M": ("科学研究和技术服务业", "Scientific research and technical services"),
    "N": ("水利、环境和公共设施管理业", "Water, environment and public facilities management"),
    "O": ("居民服务、修理和其他服务业", "Resident, repair and other services"),
    "P": ("教育", "Education"),
    "Q": ("卫生和社会工作", "Health and social work"),
    "R": ("文化、体育和娱乐业", "Culture, sports and entertainment"),
    "S": ("公共管理、社会保障和社会组织",
          "Public administration, social security and organisations"),
    "T": ("国际组织", "International organisations"),
}

DIVISIONS: dict[str, tuple[str, str]] = {
    "C13": ("农副食品加工业", "Processing of food from agricultural products"),
    "C14": ("食品制造业", "Food manufacturing"),
    "C15": ("酒、饮料和精制茶制造业", "Liquor, beverages and refined tea"),
    "C16": ("烟草制品业", "Tobacco products"),
    "C17": ("纺织业", "Textiles"),
    "C18": ("纺织服装、服饰业", "Textile garments and apparel"),
    "C19": ("皮革、毛皮、羽毛及其制品和制鞋业", "Leather, fur, feathers and footwear"),
    "C20": ("木材加工和木、竹、藤、棕、草制品业", "Wood, bamboo, rattan, palm and straw products"),
    "C21": ("家具制造业", "Furniture"),
    "C22": ("造纸和纸制品业", "Paper and paper products"),
    "C23": ("印刷和记录媒介复制业", "Printing and reproduction of recording media"),
    "C24": ("文教、工美、体育和娱乐用品制造业",
            "Articles for culture, education, arts and crafts, sports and entertainment"),
    "C25": ("石油、煤炭及其他燃料加工业", "Petroleum, coal and other fuel processing"),
    "C26": ("化学原料和化学制品制造业", "Chemical raw materials and products"),
    "C27": ("医药制造业", "Medicines"),
    "C28": ("化学纤维制造业", "Chemical fibres"),
    "C29": ("橡胶和塑料制品业", "Rubber and plastic products"),
    "C30": ("非金属矿物制品业", "Non-metallic mineral products"),
    "C31": ("黑色金属冶炼和压延加工业", "Smelting and pressing of ferrous metals"),
    "C32": ("有色金属冶炼和压延加工业", "Smelting and pressing of non-ferrous metals"),
    "C33": ("金属制品业", "Metal products"),
    "C34": ("通用设备制造业", "General-purpose machinery"),
    "C35": ("专用设备制造业", "Special-purpose machinery"),
    "C36": ("汽车制造业", "Motor vehicles"),
    "C37": ("铁路、船舶、航空航天和其他运输设备制造业",
            "Railway, ship, aerospace and other transport equipment"),
    "C38": ("电气机械和器材制造业", "Electrical machinery and equipment"),
    "C39": ("计算机、通信和其他电子设备制造业",
            "Computers, communication and other electronic equipment"),
    "C40": ("仪器仪表制造业", "Instruments and meters"),
    "C41": ("其他制造业", "Other manufacturing"),
    "C42": ("废弃资源综合利用业", "Recycling of waste resources"),
    "C43": ("金属制品、机械和设备修理业", "Repair of metal products, machinery and equipment"),
}

CLASSES: dict[str, tuple[str, str]] = {
    "C1311": ("稻谷加工", "Rice milling"),
    "C1329": ("其他饲料加工", "Other feed processing"),
    "C1331": ("食用植物油加工", "Edible vegetable oil processing"),
    "C1361": ("水产品冷冻加工", "Frozen aquatic products"),
    "C1391": ("淀粉及淀粉制品制造", "Starch and starch products"),
    "C1392": ("豆制品制造", "Soybean products"),
    "C1432": ("速冻食品制造", "Quick-frozen foods"),
    "C1441": ("液体乳制造", "Liquid milk"),
    "C1512": ("白酒制造", "Baijiu (Chinese liquor)"),
    "C1522": ("瓶（罐）装饮用水制造", "Bottled drinking water"),
    "C2021": ("胶合板制造", "Plywood"),
    "C2031": ("建筑用木料及木材组件加工", "Building timber and wooden components"),
    "C2034": ("木地板制造", "Wood flooring"),
    "C2231": ("纸和纸板容器制造", "Paper and paperboard containers"),
    "C2624": ("复混肥料制造", "Compound fertilisers"),
    "C2921": ("塑料薄膜制造", "Plastic film"),
    "C3021": ("水泥制品制造", "Cement products"),
    "C3572": ("机械化农业及园艺机具制造", "Agricultural and horticultural machinery"),
    "C3831": ("电线、电缆制造", "Wires and cables"),
}

_CODE = re.compile(r"[A-T](\d{2}(\d{1,2})?)?")


def _pick(names: tuple[str, str], locale: str | None) -> str:
    return names[1] if (locale or "").startswith("en") else names[0]


def _current_locale() -> str | None:
    try:
        locale = get_locale()
    except RuntimeError:  # outside an app or request: Chinese
        return None
    return str(locale) if locale else None


def industry_name(code: str | None, locale: str | None = None) -> str | None:
    """The most precise known name of an industry code, or ``None`` for none or an unknown one."""
    if not code or not _CODE.fullmatch(code.strip().upper()):
        return None
    code = code.strip().upper()
    locale = locale if locale is not None else _current_locale()
    for table, key in ((CLASSES, code), (DIVISIONS, code[:3]), (SECTIONS, code[:1])):
        if key in table:
            return _pick(table[key], locale)
    return None


def industry_label(code: str | None, locale: str | None = None) -> str:
    """``稻谷加工（C1311）`` for display; the bare code when its name is unknown; '' for none."""
    if not code:
        return ""
    return _label(code, locale if locale is not None else _current_locale())


@functools.lru_cache(maxsize=8192)
def _label(code: str, locale: str | None) -> str:
    # Lists and search pages show an industry a row; there are about 1,400 codes.
    name = industry_name(code, locale)
    return f"{name}（{code}）" if name else code


def division_choices(locale: str | None = None) -> list[tuple[str, str]]:
    """(division code, name) pairs for filters, in code order."""
    locale = locale if locale is not None else _current_locale()
    return [(code, _pick(names, locale)) for code, names in DIVISIONS.items()]
