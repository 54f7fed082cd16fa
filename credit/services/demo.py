"""Deterministic, realistic demo archives in the exchange format ``jms-quality-archive/1``.

``generate_archive(count, seed, today)`` streams enterprise dicts shaped exactly as in
``archive-exchange.md``. The same arguments always give the same enterprises: everything is
drawn from one ``random.Random(seed)``. Memory does not grow with ``count``: USCCs are made
unique by deriving the organisation code from the enterprise's index through a bijection, so no
set of issued codes is kept.

Most enterprises have clean histories; a tail is given the findings of one or two rules of the
rulebook, so that every D and C rule and ``B1-new`` occur in a sample of a few thousand, in
proportions close to a real jurisdiction: as of ``today``, about 63% A, 21% B, 12% C, 3.5% D.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from math import gcd
from typing import Any

from credit.uscc import ALPHABET, make_uscc

FORMAT = "jms-quality-archive/1"


# -- reference data -------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True, slots=True)
class District:
    """A jurisdiction: its name, the prefix of local names, its area code and street names."""

    name: str
    place: str  # 佳木斯市, 桦南县 ...: starts enterprise names
    address_prefix: str  # starts addresses
    area_code: str  # GB/T 2260, positions 3-8 of a USCC
    weight: int  # relative number of enterprises
    streets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Industry:
    """A line of manufacturing with its GB/T 4754-2017 class, words for names and products."""

    code: str
    words: tuple[str, ...]  # industry words in "...有限公司" names
    factory: str  # the word before 厂
    products: tuple[str, ...]
    defects: tuple[str, ...]  # typical failed test items, for notes
    weight: int
    food: bool = False
    permit: bool = False  # needs a production licence (生产许可证 / 食品生产许可证)
    supervised: bool = False  # routinely under 监督检验


_URBAN_STREETS = _words(
    "长安路 中山街 光复路 友谊路 保卫路 胜利路 杏林路 安庆街 永安街 "
    "西林路 红旗路 建国路 站前路 平安路 和平路 民安街"
)
_COUNTY_STREETS = _words(
    "人民路 文化街 建设街 兴华街 光明路 振兴路 工业路 新华街 团结路 "
    "繁荣街 解放路 工业园区纬一路 工业园区经二路"
)
_SUBURB_STREETS = _words("长青路 松花江路 大来镇兴业街 长发镇工业路 四丰乡永丰路 工业园区纬三路")
_JSJ_STREETS = _words("通江路 建设大街 三江路 友谊街 工业园区新华路")

DISTRICTS: tuple[District, ...] = (
    District("向阳区", "佳木斯市", "佳木斯市向阳区", "230803", 18, _URBAN_STREETS),
    District("前进区", "佳木斯市", "佳木斯市前进区", "230804", 15, _URBAN_STREETS),
    District("东风区", "佳木斯市", "佳木斯市东风区", "230805", 12, _URBAN_STREETS + ("造纸路",)),
    District("郊区", "佳木斯市", "佳木斯市郊区", "230811", 13, _SUBURB_STREETS),
    District("桦南县", "桦南县", "桦南县", "230822", 8, _COUNTY_STREETS + ("驼腰子路",)),
    District("桦川县", "桦川县", "桦川县", "230826", 6, _COUNTY_STREETS + ("悦来街",)),
    District("汤原县", "汤原县", "汤原县", "230828", 6, _COUNTY_STREETS + ("汤旺路",)),
    District("同江市", "同江市", "同江市", "230881", 5, _COUNTY_STREETS + ("三江路", "通江路")),
    District("富锦市", "富锦市", "富锦市", "230882", 8, _COUNTY_STREETS + ("锦山路",)),
    District("抚远市", "抚远市", "抚远市", "230883", 4, _COUNTY_STREETS + ("乌苏里路", "通江路")),
    District("建三江管委会", "建三江", "建三江管委会", "230800", 5, _JSJ_STREETS),
)

INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        code="C1311",
        words=_words("米业 粮食加工"),
        factory="大米加工",
        products=_words("大米 长粒香大米 有机大米 富硒大米 糙米"),
        defects=_words("镉含量超标 碎米率不合格 杂质最大限量不合格 标签标注不合格"),
        weight=12,
        food=True,
        permit=True,
    ),
    Industry(
        code="C1331",
        words=_words("粮油 油脂"),
        factory="油",
        products=_words("大豆油 一级大豆油 亚麻籽油 玉米油"),
        defects=_words("酸价超标 过氧化值超标 溶剂残留量超标"),
        weight=6,
        food=True,
        permit=True,
    ),
    Industry(
        code="C1391",
        words=_words("淀粉 薯业"),
        factory="淀粉",
        products=_words("玉米淀粉 马铃薯淀粉 粉条 粉丝"),
        defects=_words("二氧化硫残留量超标 铝的残留量超标 水分不合格"),
        weight=4,
        food=True,
        permit=True,
    ),
    Industry(
        code="C1392",
        words=_words("豆制品 食品"),
        factory="豆制品",
        products=_words("豆腐 干豆腐 腐竹 豆浆粉"),
        defects=_words("菌落总数超标 大肠菌群超标 苯甲酸超标"),
        weight=5,
        food=True,
        permit=True,
    ),
    Industry(
        code="C1361",
        words=_words("水产品 渔业"),
        factory="水产品加工",
        products=_words("冷冻大马哈鱼 大马哈鱼籽 鲟鳇鱼制品 冷冻鲤鱼 鱼干"),
        defects=_words("挥发性盐基氮超标 孔雀石绿检出 净含量不足"),
        weight=4,
        food=True,
        permit=True,
    ),
    Industry(
        code="C1441",
        words=_words("乳业 乳品"),
        factory="乳品",
        products=_words("液态奶 巴氏杀菌乳 风味发酵乳 灭菌乳"),
        defects=_words("蛋白质含量不合格 菌落总数超标 酸度不合格"),
        weight=3,
        food=True,
        permit=True,
    ),
    Industry(
        code="C1432",
        words=_words("食品 速冻食品"),
        factory="食品",
        products=_words("速冻水饺 速冻汤圆 速冻包子 黏豆包"),
        defects=_words("过氧化值超标 菌落总数超标 金黄色葡萄球菌检出"),
        weight=5,
        food=True,
        permit=True,
    ),
    Industry(
        code="C1512",
        words=_words("酒业 酿酒"),
        factory="酒",
        products=_words("白酒 浓香型白酒 清香型白酒 高粱酒"),
        defects=_words("酒精度不合格 甲醇超标 固形物超标"),
        weight=4,
        food=True,
        permit=True,
    ),
    Industry(
        code="C1522",
        words=_words("饮品 矿泉水"),
        factory="饮用水",
        products=_words("饮用纯净水 饮用天然矿泉水 桶装饮用水"),
        defects=_words("溴酸盐超标 铜绿假单胞菌检出 界限指标不合格"),
        weight=3,
        food=True,
        permit=True,
    ),
    Industry(
        code="C1329",
        words=_words("饲料 牧业"),
        factory="饲料",
        products=_words("配合饲料 浓缩饲料 预混合饲料"),
        defects=_words("粗蛋白质含量不合格 霉菌毒素超标 水分不合格"),
        weight=4,
        permit=True,
    ),
    Industry(
        code="C2034",
        words=_words("木业 地板"),
        factory="木制品",
        products=_words("实木复合地板 强化木地板 实木地板"),
        defects=_words("甲醛释放量不合格 含水率不合格 表面耐磨不合格"),
        weight=7,
    ),
    Industry(
        code="C2021",
        words=_words("木业 人造板"),
        factory="胶合板",
        products=_words("胶合板 细木工板 多层板"),
        defects=_words("甲醛释放量不合格 胶合强度不合格 含水率不合格"),
        weight=4,
    ),
    Industry(
        code="C2231",
        words=_words("包装制品 纸业"),
        factory="纸箱",
        products=_words("瓦楞纸箱 瓦楞纸板 纸托盘"),
        defects=_words("边压强度不合格 耐破强度不合格 戳穿强度不合格"),
        weight=5,
    ),
    Industry(
        code="C2921",
        words=_words("塑料制品 塑业"),
        factory="塑料制品",
        products=_words("农用地膜 聚乙烯吹塑薄膜 食品包装膜"),
        defects=_words("拉伸强度不合格 断裂标称应变不合格 厚度偏差不合格"),
        weight=4,
        permit=True,
    ),
    Industry(
        code="C2624",
        words=_words("肥业 农资"),
        factory="化肥",
        products=_words("复合肥料 掺混肥料 有机-无机复混肥料"),
        defects=_words("总养分不合格 氯离子含量超标 水分不合格"),
        weight=5,
        permit=True,
        supervised=True,
    ),
    Industry(
        code="C3021",
        words=_words("建材 水泥制品"),
        factory="水泥制品",
        products=_words("预拌混凝土 混凝土管桩 水泥电杆 混凝土砌块"),
        defects=_words("抗压强度不合格 尺寸偏差不合格 外观质量不合格"),
        weight=5,
        permit=True,
        supervised=True,
    ),
    Industry(
        code="C3831",
        words=_words("电线电缆 线缆"),
        factory="电线电缆",
        products=_words("电力电缆 架空绝缘电缆 聚氯乙烯绝缘电线 控制电缆"),
        defects=_words("导体电阻不合格 绝缘厚度不合格 绝缘老化前断裂伸长率不合格"),
        weight=3,
        permit=True,
        supervised=True,
    ),
    Industry(
        code="C3572",
        words=_words("农机 农业机械"),
        factory="农机",
        products=_words("水稻插秧机 旋耕机 播种机 秸秆还田机"),
        defects=_words("安全防护装置不合格 使用说明书不合格 作业性能不合格"),
        weight=4,
        supervised=True,
    ),
)

# local specialities: rice on the Sanjiang plain, fish on the border rivers, timber in the hills
_INDUSTRY_BIAS: dict[str, dict[str, int]] = {
    "郊区": {"C2034": 2, "C3021": 2},
    "桦南县": {"C2034": 2, "C2021": 3, "C1391": 3},
    "桦川县": {"C1311": 4, "C1331": 2},
    "汤原县": {"C2034": 2, "C2021": 2, "C1391": 2},
    "同江市": {"C1311": 3, "C1361": 5},
    "富锦市": {"C1311": 5, "C1331": 3, "C2624": 2},
    "抚远市": {"C1361": 8, "C1311": 2},
    "建三江管委会": {"C1311": 8, "C2624": 2, "C3572": 2},
}

BRANDS = _words(
    "恒泰 松江 北方 黑土地 三江 龙江 华瑞 鑫源 金穗 东极 兴隆 江畔 "
    "界江 乌苏里 长青 富民 丰源 沃土 绿源 金谷 粮丰 宏达 永盛 瑞丰 "
    "德润 兴业 益民 金鼎 鸿运 盛达 嘉禾 佳农 佳润 雪原 白桦 红松 "
    "青山 江源 东方 晨光 星火 曙光 新华 振兴 利民 安泰 通达 顺发 "
    "昌盛 华兴 金龙 天成 万通 鑫达 鑫盛 宏泰 恒源 泰丰 丰泽 银河 "
    "金秋 金稻 稻香 禾丰 麦香 田园 绿野 沃野 寒地 北国 雪峰 北极星 "
    "松花 三江源 佳宝 佳信 东兴 福源 天润 龙腾"
)
_BRAND_FIRST = "恒鑫金华龙宏兴盛宇泰丰瑞德富永昌佳东北松江天万广隆鸿嘉福新"
_BRAND_SECOND = "源泰达盛丰隆华昌利通诚信宇顺发旺润鑫安和祥泽康运凯成"

SUFFIXES = ("有限公司", "有限责任公司", "股份有限公司", "厂")
_SUFFIX_CUM = tuple(accumulate((70, 15, 5, 10)))

REF_PREFIXES = {
    "spot_check": "CC",
    "inspection": "JC",
    "supervised_test": "JY",
    "violation": "WF",
    "false_claim": "XJ",
    "complaint": "TS",
    "accident": "SG",
    "permit": "XK",
    "standard": "BZ",
    "after_sales": "SH",
    "pass_rate": "HG",
}
"""Per-type prefix of demo refs: ``JMS-CC-2025-000123-1`` is enterprise 123's first spot check."""

STATE_TYPES = frozenset({"permit", "standard", "after_sales", "pass_rate"})

_METROLOGY_DEFECTS = ("定量包装商品净含量不足", "净含量标注不规范", "计量器具未经检定")
_INSPECTION_DEFECTS = (
    "出厂检验记录缺失",
    "原料进货查验记录不全",
    "生产场所卫生条件不符合要求",
    "未按规定开展出厂检验",
    "关键工序控制不到位",
)
_VIOLATION_NOTES = {
    ("quality", "general"): ("产品标识标注不规范", "生产销售不合格产品", "未按规定落实出厂检验"),
    ("metrology", "general"): (
        "使用未经检定的计量器具",
        "计量器具超期未检",
        "定量包装商品净含量短缺",
    ),
    ("counterfeit", "general"): ("冒用他人厂名厂址", "伪造产品产地", "伪造、冒用质量标志"),
    ("quality", "serious"): ("生产销售不合格产品，货值金额较大，吊销生产许可证",),
    ("metrology", "serious"): ("破坏计量器具准确度，情节严重，移送司法机关",),
    ("counterfeit", "serious"): (
        "假冒注册商标，涉嫌犯罪，移送公安机关",
        "以假充真、以次充好，移送司法机关",
    ),
}
_FALSE_CLAIM_NOTES = {
    "minor": ("宣传材料夸大产品功效", "标签标注“有机”字样但未获认证", "网店宣传使用绝对化用语"),
    "major": ("伪造检验检测报告", "篡改出厂检验数据", "虚假宣传获奖信息，误导消费者造成较大损失"),
}
_COMPLAINT_NOTES = ("消费者投诉产品质量问题", "经销商要求退货", "用户索赔", "产品包装破损投诉")
_ACCIDENT_NOTES = {
    ("general", True): ("产品变质导致消费者身体不适",),
    ("general", False): ("产品质量问题造成用户财产损失",),
    ("major", True): ("食品质量问题导致多人食物中毒",),
    ("major", False): ("产品质量问题引发火灾，造成重大损失",),
}


# -- time ---------------------------------------------------------------------------------


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True, slots=True)
class _Calendar:
    """Day numbers (ordinals) of the dates the generator places records around."""

    today: int
    year_start: int  # 1 January of today's year
    two_years: int  # today minus 2 years
    three_years: int  # today minus 3 years
    earliest: int  # the earliest establishment date

    @classmethod
    def of(cls, today: date) -> _Calendar:
        three = _years_before(today, 3).toordinal()
        return cls(
            today=today.toordinal(),
            year_start=date(today.year, 1, 1).toordinal(),
            two_years=_years_before(today, 2).toordinal(),
            three_years=three,
            earliest=min(date(1995, 1, 1).toordinal(), three - 3650),
        )


# -- codes ----------------------------------------------------------------------------------

_DIGIT_SPACE = 10**8  # old 8-digit organisation code bodies
_NEW_SPACE = 31**5  # "MA1" + 5 code characters, as issued since the 2015 reform
_NEW_CODES_FROM = date(2015, 10, 1).toordinal()

MAX_COUNT = _NEW_SPACE
"""The most enterprises one archive can have with distinct USCCs."""


def _coprime_multiplier(rng: random.Random, modulus: int) -> int:
    multiplier = rng.randrange(modulus // 10, modulus)
    while gcd(multiplier, modulus) != 1:
        multiplier += 1
    return multiplier


@dataclass(frozen=True, slots=True)
class _CodeKeys:
    """Affine bijections index -> organisation code body, one per code space, seed-mixed."""

    digit_a: int
    digit_b: int
    new_a: int
    new_b: int

    @classmethod
    def draw(cls, rng: random.Random) -> _CodeKeys:
        return cls(
            _coprime_multiplier(rng, _DIGIT_SPACE),
            rng.randrange(_DIGIT_SPACE),
            _coprime_multiplier(rng, _NEW_SPACE),
            rng.randrange(_NEW_SPACE),
        )

    def body(self, index: int, established: int) -> str:
        """The 8-character organisation code body of enterprise ``index``; distinct per index."""
        if established < _NEW_CODES_FROM:
            return f"{(self.digit_a * index + self.digit_b) % _DIGIT_SPACE:08d}"
        value = (self.new_a * index + self.new_b) % _NEW_SPACE
        chars = []
        for _ in range(5):
            value, digit = divmod(value, 31)
            chars.append(ALPHABET[digit])
        return "MA1" + "".join(reversed(chars))


# -- one enterprise's records ---------------------------------------------------------------

_D_CODES = ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9")
_C_CODES = ("C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8")
_B_KINDS = ("past_fail", "past_violation", "complaint")
_B_KIND_CUM = tuple(accumulate((40, 25, 35)))

# chances per enterprise of: a D finding, else a C finding, else (if established 3 years)
# a blemish that keeps it from A
_P_D = 0.035
_P_C = _P_D + 0.115
_P_B = _P_C + 0.12
_P_SECOND = 0.2  # a troubled enterprise has a second finding of the same level


class _Archive:
    """The records of one enterprise being built, and what its findings rule out."""

    __slots__ = (
        "rng",
        "cal",
        "industry",
        "established",
        "year_from",
        "records",
        "qualification",
        "no_year_spot_checks",
        "no_permits",
        "permit_until",
        "rates_until",
    )

    def __init__(
        self, rng: random.Random, cal: _Calendar, industry: Industry, established: int
    ) -> None:
        self.rng = rng
        self.cal = cal
        self.industry = industry
        self.established = established
        self.year_from = max(cal.year_start, established)  # first day "this year" can hold
        self.records: list[tuple[int, str, dict[str, Any]]] = []
        self.qualification = "valid"
        self.no_year_spot_checks = False  # D4: nothing may fall between two failed checks
        self.no_permits = False  # D1: never licensed
        self.permit_until: int | None = None  # a permit finding ends the held licence then
        self.rates_until: int | None = None  # C3: this pass rate is the latest

    # helpers

    def day(self, low: int, high: int) -> int:
        """A random day number in [low, high], clamped to [established, today]."""
        low = max(low, self.established)
        high = min(high, self.cal.today)
        if low >= high:  # an empty or one-day range: the nearest allowed day
            return min(low, self.cal.today)
        return self.rng.randint(low, high)

    def this_year(self) -> int:
        return self.rng.randint(self.year_from, self.cal.today)

    def recently(self, days: int) -> int:
        """A day in the last ``days`` days (or since establishment)."""
        return self.day(self.cal.today - days, self.cal.today)

    def add(self, day: int, kind: str, note: str | None = None, **fields: Any) -> None:
        if note is not None:
            fields["note"] = note
        if kind in STATE_TYPES:
            fields.setdefault("resolved_on", None)
        self.records.append((day, kind, fields))

    def defect(self) -> str:
        return self.rng.choice(self.industry.defects)

    # findings (one per rule code; each puts records that make exactly that rule hold)

    def finding(self, code: str) -> None:
        getattr(self, "_" + code.lower())()

    def _d1(self) -> None:
        if self.industry.permit and self.rng.random() < 0.6:
            self.no_permits = True
            note = (
                "未取得食品生产许可证从事食品生产"
                if self.industry.food
                else "未取得生产许可证擅自生产"
            )
            self.add(self.recently(730), "permit", note, status="missing")
        else:
            self.qualification = "invalid"

    def _d2(self) -> None:
        severity = "serious" if self.rng.random() < 0.15 else "general"
        note = self.rng.choice(_VIOLATION_NOTES["counterfeit", severity])
        self.add(self.this_year(), "violation", note, category="counterfeit", severity=severity)

    def _d3(self) -> None:
        today = self.cal.today
        if self.rng.random() < 0.5 and today - self.established >= 3:
            start = self.day(today - 400, today - 2)
            room = today - 1 - start
            days = self.rng.choice((30, 60, 90))
            deadline = start + (days if days <= room else self.rng.randint(1, room))
            self.permit_until = start
            self.add(
                start,
                "permit",
                "许可条件核查发现问题，责令限期整改，逾期未完成",
                status="rectifying",
                deadline=_iso(deadline),
            )
        else:
            start = self.recently(365)
            self.permit_until = start
            self.add(start, "permit", "生产许可证后置现场核查不合格", status="failed")

    def _d4(self) -> None:
        if self.rng.random() < 0.6:
            self.no_year_spot_checks = True
            first, second = sorted((self.this_year(), self.this_year()))
            for day in (first, second):
                self.add(day, "spot_check", self.defect(), subject="product", result="fail")
        elif self.rng.random() < 0.7:
            self.add(
                self.this_year(),
                "supervised_test",
                "严重不合格项目：" + self.defect(),
                result="severe",
            )
        else:
            self.add(self.this_year(), "supervised_test", "未经监督检验出厂", result="untested")

    def _d5(self) -> None:
        note = self.rng.choice(_FALSE_CLAIM_NOTES["major"])
        self.add(self.this_year(), "false_claim", note, harm="major")

    def _d6(self) -> None:
        note = self.rng.choice(("无执行标准组织生产", "未按执行标准组织生产"))
        self.add(self.recently(540), "standard", note, finding="no_standard")

    def _d7(self) -> None:
        category = self.rng.choice(("quality", "metrology"))
        note = self.rng.choice(_VIOLATION_NOTES[category, "serious"])
        self.add(self.this_year(), "violation", note, category=category, severity="serious")

    def _d8(self) -> None:
        note = "拒不履行召回及退换货承诺"
        self.add(self.recently(540), "after_sales", note, finding="serious_breach")

    def _d9(self) -> None:
        note = self.rng.choice(_ACCIDENT_NOTES["major", self.industry.food])
        self.add(self.this_year(), "accident", note, severity="major")

    def _c1(self) -> None:
        start = self.recently(90)
        deadline = start + self.rng.choice((90, 120, 180))
        self.permit_until = start
        self.add(
            start,
            "permit",
            "许可条件核查发现问题，责令限期整改",
            status="rectifying",
            deadline=_iso(deadline),
        )

    def _c2(self) -> None:
        if self.rng.random() < 0.7:
            subject = "metrology" if self.rng.random() < 0.2 else "product"
            note = self.rng.choice(_METROLOGY_DEFECTS) if subject == "metrology" else self.defect()
            self.add(self.this_year(), "spot_check", note, subject=subject, result="fail")
        else:
            note = self.rng.choice(_INSPECTION_DEFECTS)
            self.add(self.this_year(), "inspection", note, result="fail")

    def _c3(self) -> None:
        if self.rng.random() < 0.5:
            self.add(self.this_year(), "supervised_test", self.defect(), result="fail")
        else:
            day = self.recently(300)
            self.rates_until = day
            rate = round(self.rng.uniform(0.95, 0.998), 3)
            self.add(day, "pass_rate", "出厂检验发现不合格批次", rate=rate)

    def _c4(self) -> None:
        note = "实测指标低于企业明示的执行标准：" + self.defect()
        self.add(self.recently(540), "standard", note, finding="below_declared")

    def _c5(self) -> None:
        note = self.rng.choice(_FALSE_CLAIM_NOTES["minor"])
        self.add(self.this_year(), "false_claim", note, harm="minor")

    def _c6(self) -> None:
        if self.rng.random() < 0.6:
            resolution = self.rng.choice(("late", "unresolved"))
            note = self.rng.choice(_COMPLAINT_NOTES)
            self.add(self.this_year(), "complaint", note, resolution=resolution)
        else:
            note = self.rng.choice(_ACCIDENT_NOTES["general", self.industry.food])
            self.add(self.this_year(), "accident", note, severity="general")

    def _c7(self) -> None:
        note = self.rng.choice(("未按承诺履行三包服务", "售后维修响应超过承诺时限"))
        self.add(self.recently(540), "after_sales", note, finding="deficient")

    def _c8(self) -> None:
        category = "metrology" if self.rng.random() < 0.35 else "quality"
        note = self.rng.choice(_VIOLATION_NOTES[category, "general"])
        self.add(self.this_year(), "violation", note, category=category, severity="general")

    # blemishes that keep an established enterprise at B

    def blemish(self, kind: str) -> None:
        cal = self.cal
        if kind == "complaint":
            note = self.rng.choice(_COMPLAINT_NOTES)
            self.add(self.this_year(), "complaint", note, resolution="timely")
            return
        # within 3 years but before this year, with a margin from the window's edge
        day = self.day(cal.three_years + 2, cal.year_start - 1)
        if kind == "past_fail":
            if self.rng.random() < 0.7:
                self.add(day, "spot_check", self.defect(), subject="product", result="fail")
            else:
                self.add(day, "inspection", self.rng.choice(_INSPECTION_DEFECTS), result="fail")
        else:
            category = self.rng.choice(("quality", "quality", "metrology", "counterfeit"))
            note = self.rng.choice(_VIOLATION_NOTES[category, "general"])
            self.add(day, "violation", note, category=category, severity="general")

    # a clean history around the findings

    def background(self) -> None:
        rng, cal, industry = self.rng, self.cal, self.industry
        est_year = date.fromordinal(self.established).year
        this_year = date.fromordinal(cal.today).year
        old_until = date(this_year - 3, 1, 1).toordinal() - 1  # well outside 3 years
        if industry.permit and not self.no_permits:
            self._permits()
        for year in range(max(est_year, this_year - 7), this_year + 1):
            first = max(date(year, 1, 1).toordinal(), self.established)
            last = min(date(year, 12, 31).toordinal(), cal.today)
            old = last <= old_until
            if not (year == this_year and self.no_year_spot_checks):
                for _ in range(rng.choices((0, 1, 2), cum_weights=(50, 90, 100))[0]):
                    day = rng.randint(first, last)
                    metrology = rng.random() < 0.2
                    if old and rng.random() < 0.08:
                        note = rng.choice(_METROLOGY_DEFECTS) if metrology else self.defect()
                        self.add(
                            day,
                            "spot_check",
                            note,
                            subject="metrology" if metrology else "product",
                            result="fail",
                        )
                    else:
                        self.add(
                            day,
                            "spot_check",
                            subject="metrology" if metrology else "product",
                            result="pass",
                        )
            if rng.random() < 0.3:
                day = rng.randint(first, last)
                if old and rng.random() < 0.08:
                    self.add(day, "inspection", rng.choice(_INSPECTION_DEFECTS), result="fail")
                else:
                    self.add(day, "inspection", result="pass")
            if industry.supervised and rng.random() < 0.4:
                self.add(rng.randint(first, last), "supervised_test", result="pass")
        if rng.random() < 0.5:
            self._pass_rates(est_year, this_year)
        if self.established < cal.year_start and rng.random() < 0.15:
            day = self.day(self.established, cal.year_start - 1)
            resolution = rng.choices(("timely", "late", "unresolved"), cum_weights=(80, 95, 100))[0]
            self.add(day, "complaint", rng.choice(_COMPLAINT_NOTES), resolution=resolution)
        if self.established < old_until and rng.random() < 0.03:
            day = self.day(self.established, old_until)
            note = rng.choice(_VIOLATION_NOTES["quality", "general"])
            self.add(day, "violation", note, category="quality", severity="general")
        if cal.today - self.established > 60:
            # findings that were put right
            if rng.random() < 0.04:
                day = self.day(self.established, cal.today - 30)
                self.add(
                    day,
                    "standard",
                    "实测指标低于企业明示的执行标准：" + self.defect(),
                    finding="below_declared",
                    resolved_on=self._resolved(day),
                )
            if rng.random() < 0.03:
                day = self.day(self.established, cal.today - 30)
                self.add(
                    day,
                    "after_sales",
                    "未按承诺履行三包服务",
                    finding="deficient",
                    resolved_on=self._resolved(day),
                )

    def _resolved(self, day: int) -> str:
        return _iso(min(day + self.rng.randint(15, 180), self.cal.today))

    def _permits(self) -> None:
        """Licences held since soon after establishment, renewed every five years."""
        rng = self.rng
        limit = self.permit_until if self.permit_until is not None else self.cal.today + 1
        issued = []
        day = self.established + rng.randint(0, 180)
        while day < limit:
            issued.append(day)
            day += 5 * 365 - rng.randint(0, 60)
        for number, day in enumerate(issued):
            if number + 1 < len(issued):
                resolved: int | None = issued[number + 1]
            else:
                resolved = self.permit_until
            self.add(
                day,
                "permit",
                status="held",
                resolved_on=None if resolved is None else _iso(resolved),
            )

    def _pass_rates(self, est_year: int, this_year: int) -> None:
        """Yearly factory pass rates, reported early each year; the latest is 100%."""
        rng = self.rng
        month, day_of_month = rng.randint(1, 3), rng.randint(5, 28)
        limit = self.rates_until if self.rates_until is not None else self.cal.today + 1
        days = [
            d
            for year in range(max(est_year + 1, this_year - 5), this_year + 1)
            if self.established <= (d := date(year, month, day_of_month).toordinal()) < limit
        ]
        for number, day in enumerate(days):
            # an earlier year below 100% is history once a later report replaces it
            rate = 1.0
            if number + 1 < len(days) and rng.random() < 0.1:
                rate = round(rng.uniform(0.97, 0.999), 3)
            self.add(day, "pass_rate", rate=rate)

    def finished(self, number: int) -> list[dict[str, Any]]:
        """The records in date order, as exchange-format dicts with refs."""
        self.records.sort(key=_record_order)
        sequence: dict[str, int] = {}
        out = []
        for day, kind, fields in self.records:
            count = sequence[kind] = sequence.get(kind, 0) + 1
            when = date.fromordinal(day)
            ref = f"JMS-{REF_PREFIXES[kind]}-{when.year}-{number:06d}-{count}"
            out.append({"type": kind, "ref": ref, "date": when.isoformat(), **fields})
        return out


def _record_order(record: tuple[int, str, dict[str, Any]]) -> tuple[int, str]:
    return record[0], record[1]


def _iso(day: int) -> str:
    return date.fromordinal(day).isoformat()


# -- enterprises ----------------------------------------------------------------------------


def _cum(weights: Sequence[int]) -> tuple[int, ...]:
    return tuple(accumulate(weights))


_DISTRICT_CUM = _cum([d.weight for d in DISTRICTS])
_INDUSTRY_CUM = {
    d.name: _cum([i.weight * _INDUSTRY_BIAS.get(d.name, {}).get(i.code, 1) for i in INDUSTRIES])
    for d in DISTRICTS
}


def _established(rng: random.Random, cal: _Calendar) -> int:
    """An establishment day: some under 2 years (B1-new), some 2-3 years, most older."""
    u = rng.random()
    if u < 0.08:
        return rng.randint(cal.two_years + 2, cal.today)
    if u < 0.13:
        return rng.randint(cal.three_years + 2, cal.two_years - 1)
    return rng.randint(cal.earliest, cal.three_years - 1)


def _name(rng: random.Random, district: District, industry: Industry) -> str:
    if rng.random() < 0.5:
        brand = rng.choice(BRANDS)
    else:
        first = rng.choice(_BRAND_FIRST)
        second = rng.choice(_BRAND_SECOND.replace(first, ""))
        brand = first + second
    suffix = rng.choices(SUFFIXES, cum_weights=_SUFFIX_CUM)[0]
    word = industry.factory if suffix == "厂" else rng.choice(industry.words)
    return district.place + brand + word + suffix


def _enterprise(rng: random.Random, keys: _CodeKeys, cal: _Calendar, index: int) -> dict[str, Any]:
    district = rng.choices(DISTRICTS, cum_weights=_DISTRICT_CUM)[0]
    industry = rng.choices(INDUSTRIES, cum_weights=_INDUSTRY_CUM[district.name])[0]
    established = _established(rng, cal)
    name = _name(rng, district, industry)
    address = f"{district.address_prefix}{rng.choice(district.streets)} {rng.randint(1, 399)} 号"
    products = rng.sample(industry.products, rng.randint(1, min(3, len(industry.products))))

    archive = _Archive(rng, cal, industry, established)
    u = rng.random()
    if u < _P_C:
        codes = _D_CODES if u < _P_D else _C_CODES
        picked = rng.sample(codes, 2) if rng.random() < _P_SECOND else [rng.choice(codes)]
        for code in picked:
            archive.finding(code)
    elif u < _P_B and established < cal.three_years:
        archive.blemish(rng.choices(_B_KINDS, cum_weights=_B_KIND_CUM)[0])
    archive.background()

    return {
        "uscc": make_uscc("91", district.area_code, keys.body(index, established)),
        "name": name,
        "district": district.name,
        "established_on": _iso(established),
        "qualification": archive.qualification,
        "industry": industry.code,
        "address": address,
        "products": products,
        "records": archive.finished(index + 1),
    }


def generate_archive(count: int, seed: int, today: date) -> Iterator[dict[str, Any]]:
    """Stream ``count`` demo enterprises in the exchange format, the same for the same arguments."""
    if not 0 <= count <= MAX_COUNT:
        raise ValueError(f"count must be between 0 and {MAX_COUNT}, got {count}")
    if today.year < 2000:
        raise ValueError(f"today must be in 2000 or later, got {today.isoformat()}")
    return _generate(count, seed, today)


def _generate(count: int, seed: int, today: date) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    keys = _CodeKeys.draw(rng)
    cal = _Calendar.of(today)
    for index in range(count):
        yield _enterprise(rng, keys, cal, index)
