"""What leased assets look like: manufacturers, models, identifier shapes and price ranges (yuan)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AssetModel:
    asset_type: str  # vehicle, machinery, medical
    manufacturer: str
    model: str
    # Vehicles: VIN positions 1-8 (WMI + VDS) and 11 (plant); others: the serial's fixed prefix.
    prefix: str
    plant: str
    engine_prefix: str | None
    price_low: int
    price_high: int
    weight: float = 1.0


VEHICLES: tuple[AssetModel, ...] = (
    AssetModel("vehicle", "一汽-大众", "迈腾 2.0T", "LFV3A23C", "3", "DKX", 180_000, 260_000, 3),
    AssetModel("vehicle", "上汽大众", "帕萨特 330TSI", "LSVAU2A3", "N", "DPL", 170_000, 240_000, 3),
    AssetModel("vehicle", "长安福特", "锐界 L", "LVSHJCAC", "S", "CAF", 240_000, 330_000, 1.5),
    AssetModel("vehicle", "东风日产", "天籁 2.0L", "LGBH52E0", "Z", "MR20", 160_000, 230_000, 2),
    AssetModel("vehicle", "上汽通用", "别克 GL8", "LSGUL83L", "S", "LTG", 230_000, 450_000, 2),
    AssetModel("vehicle", "华晨宝马", "宝马 530Li", "LBV51EF0", "Y", "B48B", 430_000, 560_000, 1),
    AssetModel("vehicle", "一汽丰田", "卡罗拉 1.5L", "LFMA1ABE", "0", "M15A", 110_000, 150_000, 2),
    AssetModel("vehicle", "广汽本田", "雅阁 260TURBO", "LHGCV166", "8", "L15B", 170_000, 230_000, 2),
    AssetModel("vehicle", "比亚迪", "汉 EV", "LGXCE4CB", "G", "TZ220", 200_000, 290_000, 3),
    AssetModel("vehicle", "中国重汽", "汕德卡 C7H 牵引车", "LZZ5BLSJ", "J", "MC13", 380_000, 520_000, 2.5),
    AssetModel("vehicle", "一汽解放", "J6P 牵引车", "LFWSRXSJ", "1", "CA6DM3", 330_000, 470_000, 2.5),
    AssetModel("vehicle", "东风商用车", "天龙 KL 牵引车", "LGAX4DG4", "L", "DDI13", 350_000, 480_000, 2),
)

MACHINERY: tuple[AssetModel, ...] = (
    AssetModel("machinery", "三一重工", "SY365H 挖掘机", "SY365H", "", "SY6D", 1_100_000, 1_450_000, 3),
    AssetModel("machinery", "三一重工", "STC250 汽车起重机", "STC250", "", "SYWP", 1_300_000, 1_700_000, 1.5),
    AssetModel("machinery", "徐工", "XE215DA 挖掘机", "XUG0215D", "", "XG4D", 650_000, 880_000, 3),
    AssetModel("machinery", "中联重科", "ZTC550 汽车起重机", "ZLJ5550", "", "ZLWP", 2_300_000, 2_900_000, 1),
    AssetModel("machinery", "柳工", "CLG856H 装载机", "CLG856H", "", "LGYC", 420_000, 560_000, 2),
    AssetModel("machinery", "小松", "PC200-8M0 挖掘机", "KMTPC200", "", "SAA6D", 900_000, 1_150_000, 1.5),
    AssetModel("machinery", "卡特彼勒", "CAT 320GC 挖掘机", "CAT0320G", "", "C4.4", 950_000, 1_250_000, 1.5),
)

MEDICAL: tuple[AssetModel, ...] = (
    AssetModel("medical", "联影医疗", "uCT 760 CT", "UCT760", "", None, 6_500_000, 9_000_000, 1.5),
    AssetModel("medical", "联影医疗", "uMR 780 磁共振", "UMR780", "", None, 14_000_000, 19_000_000, 1),
    AssetModel("medical", "迈瑞医疗", "Resona 7 超声", "RES7", "", None, 1_200_000, 1_800_000, 2),
    AssetModel("medical", "GE医疗", "Revolution CT", "GECT-RV", "", None, 12_000_000, 16_000_000, 1),
    AssetModel("medical", "西门子医疗", "SOMATOM Force CT", "SMF", "", None, 18_000_000, 24_000_000, 0.7),
    AssetModel(
        "medical", "飞利浦医疗", "Ingenia 3.0T 磁共振", "PHI3T", "", None, 16_000_000, 21_000_000, 0.7
    ),
)

CATALOG: tuple[AssetModel, ...] = VEHICLES + MACHINERY + MEDICAL

LESSOR_NAMES = (
    "华融金融租赁股份有限公司",
    "远东国际融资租赁有限公司",
    "平安国际融资租赁有限公司",
    "海通恒信国际融资租赁股份有限公司",
    "狮桥融资租赁（中国）有限公司",
    "招银金融租赁有限公司",
    "交银金融租赁有限责任公司",
    "中联重科融资租赁（北京）有限公司",
    "一汽租赁有限公司",
    "先锋国际融资租赁有限公司",
)

# Real county-level region codes (GB/T 2260) for resident IDs and USCCs.
REGIONS = (
    "110105",
    "110108",
    "310104",
    "310115",
    "440305",
    "440106",
    "330106",
    "320102",
    "510107",
    "420106",
    "370102",
    "410105",
    "430104",
    "500103",
    "610113",
    "350203",
    "210202",
    "120101",
    "340104",
    "130102",
)

INDUSTRIES = (
    "物流运输",
    "工程建设",
    "医疗卫生",
    "制造业",
    "批发零售",
    "租赁和商务服务",
    "采矿业",
    "农林牧渔",
)
# Added to the latent log-odds of default: a transport fleet in a slump defaults more than a hospital.
INDUSTRY_RISK = (0.35, 0.45, -0.6, 0.0, 0.15, 0.1, 0.5, 0.3)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红"
COMPANY_WORDS = (
    "鑫达",
    "宏运",
    "恒通",
    "顺安",
    "远航",
    "华泰",
    "金桥",
    "盛世",
    "瑞丰",
    "中天",
    "新锐",
    "汇丰",
    "永信",
    "安泰",
)
COMPANY_KINDS = (
    "物流有限公司",
    "建设工程有限公司",
    "运输有限公司",
    "医院有限公司",
    "机械租赁有限公司",
    "工程机械有限公司",
)
