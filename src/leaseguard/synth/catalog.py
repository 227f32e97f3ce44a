"""What a Chinese lease book is made of: lessors, regions, industries, manufacturers, models and their prices.

Everything here is data the generator draws from; change a price range or add a model without touching code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AssetModel:
    """One model line as it appears on purchase invoices, with the shape of the identifiers its maker issues.

    Vehicles: `prefix` is VIN positions 1-8 (WMI + VDS) and `plant` position 11.
    Machinery and medical equipment: `serial_format` is a template with {yy}, {yyyy} and {seq}; the
    production counter {seq} (`seq_digits` digits) comes last, as the makers stamp it.
    """

    segment: str  # car, truck, machinery, medical: what kind of lessee leases it
    manufacturer: str
    model: str
    price_low: int  # yuan, invoice price including VAT
    price_high: int
    prefix: str = ""
    plant: str = ""
    serial_format: str = ""
    seq_digits: int = 6
    engine_prefix: str | None = None
    weight: float = 1.0
    vininfo_name: str | None = None  # the manufacturer vininfo reports for the WMI, where it knows it

    @property
    def asset_type(self) -> str:
        return "vehicle" if self.segment in ("car", "truck") else self.segment


def _vehicle(
    segment: str,
    maker: str,
    model: str,
    prices: tuple[int, int],
    prefix: str,
    plant: str,
    engine: str,
    weight: float,
    vininfo_name: str | None,
) -> AssetModel:
    return AssetModel(
        segment, maker, model, *prices, prefix=prefix, plant=plant, engine_prefix=engine, weight=weight,
        vininfo_name=vininfo_name,
    )  # fmt: skip


def _unit(
    segment: str,
    maker: str,
    model: str,
    prices: tuple[int, int],
    serial_format: str,
    digits: int,
    engine: str | None,
    weight: float,
) -> AssetModel:
    return AssetModel(
        segment, maker, model, *prices, serial_format=serial_format, seq_digits=digits, engine_prefix=engine,
        weight=weight,
    )  # fmt: skip


CATALOG: tuple[AssetModel, ...] = (
    _vehicle(
        "car", "一汽-大众", "迈腾 380TSI", (180_000, 260_000), "LFV3A23C", "3", "DKX", 3, "FAW-Volkswagen"
    ),
    _vehicle(
        "car", "上汽大众", "帕萨特 330TSI", (170_000, 240_000), "LSVAU2A3", "N", "DPL", 3, "SAIC Volkswagen"
    ),
    _vehicle(
        "car", "长安福特", "锐界 L 2.0T", (240_000, 330_000), "LVSHJCAC", "S", "CAF", 1.5, "Changan Ford"
    ),
    _vehicle(
        "car", "东风日产", "天籁 2.0L", (160_000, 230_000), "LGBH52E0", "Z", "MR20", 2, "Dongfeng Nissan"
    ),
    _vehicle(
        "car", "上汽通用", "别克 GL8 ES", (230_000, 450_000), "LSGUL83L", "S", "LTG", 2, "SAIC General Motors"
    ),
    _vehicle(
        "car", "华晨宝马", "宝马 530Li", (430_000, 560_000), "LBV51EF0", "Y", "B48B", 1, "BMW Brilliance"
    ),
    _vehicle("car", "一汽丰田", "卡罗拉 1.5L", (110_000, 150_000), "LFMA1ABE", "0", "M15A", 2, "FAW Toyota"),
    _vehicle(
        "car", "广汽丰田", "凯美瑞 2.5HEV", (190_000, 270_000), "LVGBV3FK", "G", "A25A", 2, "GAC Toyota"
    ),
    _vehicle(
        "car", "广汽本田", "雅阁 260TURBO", (170_000, 230_000), "LHGCV166", "8", "L15B", 2, "Guangzhou Honda"
    ),
    _vehicle("car", "比亚迪", "汉 EV", (200_000, 290_000), "LGXCE4CB", "G", "TZ220", 3, "BYD Auto"),
    _vehicle(
        "truck", "中国重汽", "汕德卡 C7H 牵引车", (380_000, 520_000), "LZZ5BLSJ", "J", "MC13", 2.5, None
    ),
    _vehicle("truck", "一汽解放", "J6P 牵引车", (330_000, 470_000), "LFWSRXSJ", "1", "CA6DM3", 2.5, None),
    _vehicle("truck", "东风商用车", "天龙 KL 牵引车", (350_000, 480_000), "LGAX4DG4", "L", "DDI13", 2, None),
    _vehicle(
        "truck",
        "陕汽重卡",
        "德龙 X3000 牵引车",
        (360_000, 500_000),
        "LZGJX4T4",
        "X",
        "WP13",
        2,
        "Shaanxi Automobile Group",
    ),
    _unit("machinery", "三一重工", "SY365H 挖掘机", (1_100_000, 1_450_000), "SY365H{yy}{seq}", 6, "SY6D", 3),
    _unit(
        "machinery",
        "三一重工",
        "STC250 汽车起重机",
        (1_300_000, 1_700_000),
        "STC250E{yyyy}{seq}",
        5,
        "SYWP",
        1.5,
    ),
    _unit("machinery", "徐工", "XE215DA 挖掘机", (650_000, 880_000), "XUG0215DA{yy}{seq}", 6, "XG4D", 3),
    _unit(
        "machinery",
        "中联重科",
        "ZTC550 汽车起重机",
        (2_300_000, 2_900_000),
        "ZLJ5550JQZ{yy}{seq}",
        5,
        "ZLWP",
        1,
    ),
    _unit("machinery", "柳工", "CLG856H 装载机", (420_000, 560_000), "CLG856HC{yy}{seq}", 6, "LGYC", 2),
    _unit("machinery", "小松", "PC200-8M0 挖掘机", (900_000, 1_150_000), "KMTPC200C55{seq}", 6, "SAA6D", 1.5),
    _unit(
        "machinery", "卡特彼勒", "CAT 320GC 挖掘机", (950_000, 1_250_000), "CAT0320GCKTA{seq}", 5, "C44T", 1.5
    ),
    _unit("medical", "联影医疗", "uCT 760 CT", (6_500_000, 9_000_000), "UCT760{yyyy}{seq}", 5, None, 1.5),
    _unit("medical", "联影医疗", "uMR 780 磁共振", (14_000_000, 19_000_000), "UMR780{yyyy}{seq}", 5, None, 1),
    _unit("medical", "迈瑞医疗", "Resona 7 超声", (1_200_000, 1_800_000), "RES7-{yy}{seq}", 6, None, 2),
    _unit("medical", "GE医疗", "Revolution CT", (12_000_000, 16_000_000), "RVCTHM{seq}", 6, None, 1),
    _unit("medical", "西门子医疗", "SOMATOM Force CT", (18_000_000, 24_000_000), "{seq}", 5, None, 0.7),
    _unit("medical", "飞利浦医疗", "Ingenia 3.0T 磁共振", (16_000_000, 21_000_000), "{seq}", 6, None, 0.7),
)

# VIN position 10: the model year (ISO 3779 / GB 16735 code table; I, O, Q, U, Z and 0 are never used).
MODEL_YEAR_CODES: dict[int, str] = dict(zip(range(2010, 2031), "ABCDEFGHJKLMNPRSTVWXY", strict=True))

# Fully digital invoices (数电票) replaced paper VAT invoices region by region from late 2023 on.
DIGITAL_INVOICE_SHARE_BY_YEAR: dict[int, float] = {2022: 0.0, 2023: 0.15, 2024: 0.7, 2025: 0.95, 2026: 1.0}

# Invented names: a demo's case files must never name a real leasing company as a party.
LESSORS: tuple[tuple[str, str], ...] = (
    ("L001", "澜岳金融租赁股份有限公司"),
    ("L002", "恒舟国际融资租赁有限公司"),
    ("L003", "青禾融资租赁有限公司"),
    ("L004", "朔方融资租赁股份有限公司"),
    ("L005", "云岫融资租赁有限公司"),
    ("L006", "泓屿金融租赁有限公司"),
    ("L007", "翠溪金融租赁有限责任公司"),
    ("L008", "苍梧装备融资租赁有限公司"),
    ("L009", "鹭汀汽车融资租赁有限公司"),
    ("L010", "枫渚国际融资租赁有限公司"),
)

# Where enterprises are registered: county-level codes (GB/T 2260) and the city a company name opens with.
COMPANY_REGIONS: tuple[tuple[str, str], ...] = (
    ("110105", "北京"),
    ("110108", "北京"),
    ("310104", "上海"),
    ("310115", "上海"),
    ("440305", "深圳"),
    ("440106", "广州"),
    ("330106", "杭州"),
    ("320102", "南京"),
    ("510107", "成都"),
    ("420106", "武汉"),
    ("370102", "济南"),
    ("371302", "临沂"),
    ("410105", "郑州"),
    ("430104", "长沙"),
    ("500103", "重庆"),
    ("610113", "西安"),
    ("350203", "厦门"),
    ("210202", "大连"),
    ("120101", "天津"),
    ("340104", "合肥"),
    ("130102", "石家庄"),
)

# Where individuals were registered at birth. Old county codes (in use only before a reform) are kept because
# an ID keeps the code it was issued under; the generator pairs each birth year with a code valid for it.
BIRTH_REGIONS: tuple[str, ...] = (
    *(code for code, _ in COMPANY_REGIONS),
    "110101",
    "310110",
    "120103",
    "340621",
    "430121",
    "372129",
    "412426",
    "322121",
    "411302",
    "410303",
    "130203",
    "370202",
)

INDUSTRIES: tuple[str, ...] = (
    "物流运输",
    "工程建设",
    "医疗卫生",
    "制造业",
    "批发零售",
    "租赁和商务服务",
    "采矿业",
    "农林牧渔",
)
# Added to the log-odds of default: a transport fleet in a freight slump defaults more often than a hospital.
INDUSTRY_RISK: tuple[float, ...] = (0.35, 0.5, -0.7, 0.0, 0.15, 0.1, 0.45, 0.3)
ENTERPRISE_INDUSTRY_SHARES: tuple[float, ...] = (0.25, 0.2, 0.12, 0.15, 0.08, 0.08, 0.06, 0.06)
# Individuals who lease are mostly owner-drivers of trucks and owner-operators of excavators.
INDIVIDUAL_INDUSTRY_SHARES: tuple[float, ...] = (0.55, 0.2, 0.0, 0.0, 0.1, 0.05, 0.0, 0.1)

SEGMENTS: tuple[str, ...] = ("car", "truck", "machinery", "medical")
# Per industry, which kind of asset its lessees finance (shares over SEGMENTS).
SEGMENT_SHARES_BY_INDUSTRY: dict[str, tuple[float, ...]] = {
    "物流运输": (0.15, 0.85, 0.0, 0.0),
    "工程建设": (0.1, 0.2, 0.7, 0.0),
    "医疗卫生": (0.05, 0.0, 0.0, 0.95),
    "制造业": (0.4, 0.3, 0.3, 0.0),
    "批发零售": (0.6, 0.4, 0.0, 0.0),
    "租赁和商务服务": (0.5, 0.2, 0.3, 0.0),
    "采矿业": (0.0, 0.4, 0.6, 0.0),
    "农林牧渔": (0.3, 0.3, 0.4, 0.0),
}
# How fast each segment loses value (share of the invoice price per year) when a lessor values the asset.
DEPRECIATION_PER_YEAR: dict[str, float] = {"car": 0.13, "truck": 0.18, "machinery": 0.12, "medical": 0.15}

COMPANY_SUFFIXES: dict[str, tuple[str, ...]] = {
    "物流运输": ("物流有限公司", "运输有限公司", "供应链管理有限公司"),
    "工程建设": ("建设工程有限公司", "路桥工程有限公司", "土石方工程有限公司"),
    "医疗卫生": ("医院有限公司", "医疗投资管理有限公司", "康复医院有限公司"),
    "制造业": ("机械制造有限公司", "新材料科技有限公司", "实业有限公司"),
    "批发零售": ("商贸有限公司", "贸易有限公司", "汽车销售服务有限公司"),
    "租赁和商务服务": ("设备租赁有限公司", "汽车租赁有限公司", "商务服务有限公司"),
    "采矿业": ("矿业有限公司", "石料开采有限公司", "能源有限公司"),
    "农林牧渔": ("农业发展有限公司", "生态农业有限公司", "养殖有限公司"),
}
# Names of an affiliate founded to take a second lease on an asset its sister company already financed.
AFFILIATE_SUFFIXES: tuple[str, ...] = (
    "实业发展有限公司",
    "投资控股有限公司",
    "资产管理有限公司",
    "贸易发展有限公司",
)
PUBLIC_HOSPITALS: tuple[str, ...] = (
    "第一人民医院",
    "第二人民医院",
    "第三人民医院",
    "中医医院",
    "妇幼保健院",
    "中心医院",
)
# Two of these make a trade name (字号); a city, a trade name and a suffix make a company name.
TRADE_NAME_CHARACTERS = (
    "鑫达宏运恒通顺安远航华泰金桥盛世瑞丰中天新锐汇永信隆昌兴旺德利"  # one string, split for the line length
    "嘉合众诚福祥和聚源广海川宇晟博睿卓越凯旋成鼎力富洋俊豪"
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN_NAMES = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红海波鹏飞宇浩凯俊峰亮"
