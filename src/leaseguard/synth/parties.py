"""The parties of each lease as an enforcement complaint (要素式起诉状) names them: the lessor's unified social
credit code, address and legal representative; the lessee's address and legal representative; guarantors; the
lease's registration number at the Credit Reference Center (中登网); each asset's supplier and last known place.

Drawn from a generator of their own (seeded `[seed, PARTY_STREAM]`), so adding them changed no other value
that a seed gives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leaseguard.synth.catalog import (
    BIRTH_REGIONS,
    CATALOG,
    GIVEN_NAMES,
    SURNAMES,
    TRADE_NAME_CHARACTERS,
)
from leaseguard.synth.contracts import Book
from leaseguard.synth.identifiers import digit_matrix, resident_ids, strings, usccs
from leaseguard.synth.lessees import Lessees

PARTY_STREAM = 8
MISSING_LESSEE_ADDRESS_SHARE = 0.003  # labelled in ground_truth.csv as missing_lessee_address
GUARANTOR_COUNT_SHARES = (0.35, 0.5, 0.15)  # no guarantor, one, two
GUARANTOR_SEPARATOR = ";"  # between guarantors; the fields of one are name|id_no|address
GUARANTOR_FIELD_SEPARATOR = "|"

# County codes (GB/T 2260) of catalog.COMPANY_REGIONS with their province, city and district; municipalities
# directly under the central government have no province part.
ADDRESS_REGIONS: dict[str, tuple[str, str, str]] = {
    "110105": ("", "北京市", "朝阳区"),
    "110108": ("", "北京市", "海淀区"),
    "310104": ("", "上海市", "徐汇区"),
    "310115": ("", "上海市", "浦东新区"),
    "440305": ("广东省", "深圳市", "南山区"),
    "440106": ("广东省", "广州市", "天河区"),
    "330106": ("浙江省", "杭州市", "西湖区"),
    "320102": ("江苏省", "南京市", "玄武区"),
    "510107": ("四川省", "成都市", "武侯区"),
    "420106": ("湖北省", "武汉市", "武昌区"),
    "370102": ("山东省", "济南市", "历下区"),
    "371302": ("山东省", "临沂市", "兰山区"),
    "410105": ("河南省", "郑州市", "金水区"),
    "430104": ("湖南省", "长沙市", "岳麓区"),
    "500103": ("", "重庆市", "渝中区"),
    "610113": ("陕西省", "西安市", "雁塔区"),
    "350203": ("福建省", "厦门市", "思明区"),
    "210202": ("辽宁省", "大连市", "中山区"),
    "120101": ("", "天津市", "和平区"),
    "340104": ("安徽省", "合肥市", "蜀山区"),
    "130102": ("河北省", "石家庄市", "长安区"),
}
ROADS = (
    "人民路", "解放路", "中山路", "建设路", "和平路", "长江路", "黄河路", "新华路", "文化路", "胜利路",
    "光明路", "科技路", "工业大道", "发展大道", "创新大道", "学府路", "朝阳路", "迎宾大道", "滨江路", "振兴路",
)  # fmt: skip
# Where each synthetic lessor (catalog.LESSORS, by position) is registered.
LESSOR_REGIONS = (
    "110108",
    "310115",
    "310115",
    "310104",
    "120101",
    "310115",
    "310115",
    "110105",
    "110108",
    "310104",
)
GUARANTEE_SUFFIXES = ("融资担保有限公司", "投资担保有限公司", "实业有限公司", "控股集团有限公司")
SUPPLIER_SUFFIXES: dict[str, tuple[str, ...]] = {
    "car": ("汽车销售服务有限公司", "汽车贸易有限公司"),
    "truck": ("商用车销售有限公司", "汽车销售服务有限公司"),
    "machinery": ("工程机械设备有限公司", "机械设备销售有限公司"),
    "medical": ("医疗器械有限公司", "医疗设备有限公司"),
}
DEALERS_PER_SEGMENT_AND_CITY = 4  # a region's buyers of one kind of asset buy from a few dealers

_REGION_CODES = np.array(list(ADDRESS_REGIONS))


@dataclass(frozen=True)
class Parties:
    """Party columns: per lessor (first three), per contract row (the rest), as string arrays."""

    lessor_uscc: np.ndarray
    lessor_address: np.ndarray
    lessor_legal_representative: np.ndarray
    lessee_address: np.ndarray  # "" where missing_lessee_address
    lessee_legal_representative: np.ndarray  # "" for individuals
    guarantors: np.ndarray  # "" where none
    registration_no: np.ndarray
    supplier: np.ndarray
    location: np.ndarray
    missing_lessee_address: np.ndarray  # rows whose lessee_address was left empty (a labelled defect)
    dropped_address: np.ndarray  # the address each of those rows would have had


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Chinese names: a surname and one or two given-name characters."""
    surname = np.array(list(SURNAMES))[rng.integers(0, len(SURNAMES), n)]
    given = np.array(list(GIVEN_NAMES))[rng.integers(0, len(GIVEN_NAMES), (n, 2))]
    two_given = rng.random(n) < 0.6
    return np.char.add(np.char.add(surname, given[:, 0]), np.where(two_given, given[:, 1], ""))


def known_regions(rng: np.random.Generator, regions: np.ndarray) -> np.ndarray:
    """Each county code where ADDRESS_REGIONS knows it, else one drawn from those it knows."""
    regions = np.asarray(regions, dtype="U6")
    drawn = _REGION_CODES[rng.integers(0, len(_REGION_CODES), len(regions))]
    return np.where(np.isin(regions, _REGION_CODES), regions, drawn)


def addresses(rng: np.random.Generator, regions: np.ndarray, *, homes: bool = False) -> np.ndarray:
    """Addresses in the given county codes (ADDRESS_REGIONS keys): province, city, district, road and number,
    then a building and room for most homes (单元, 室) and some offices (号楼, 室)."""
    n = len(regions)
    road = rng.integers(0, len(ROADS), n)
    number = rng.integers(1, 1000, n)
    building = rng.integers(1, 30, n)
    unit = rng.integers(1, 7, n)
    room = rng.integers(1, 33, n) * 100 + rng.integers(1, 5, n)
    with_room = rng.random(n) < (0.8 if homes else 0.4)
    out = np.empty(n, dtype=object)
    for i, region in enumerate(regions.tolist()):
        province, city, district = ADDRESS_REGIONS[region]
        text = f"{province}{city}{district}{ROADS[road[i]]}{number[i]}号"
        if with_room[i]:
            text += f"{building[i]}栋{unit[i]}单元{room[i]}室" if homes else f"{building[i]}号楼{room[i]}室"
        out[i] = text
    return out.astype(str)


def company_names(rng: np.random.Generator, regions: np.ndarray, suffixes: np.ndarray) -> np.ndarray:
    """City, a two-character trade name and the given suffix of each company."""
    characters = np.array(list(TRADE_NAME_CHARACTERS))
    first = rng.integers(0, len(characters), len(regions))
    second = (first + rng.integers(1, len(characters), len(regions))) % len(characters)
    cities = np.array([ADDRESS_REGIONS[r][1].removesuffix("市") for r in regions.tolist()])
    return np.char.add(np.char.add(cities, np.char.add(characters[first], characters[second])), suffixes)


def _people(rng: np.random.Generator, n: int, as_of_year: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(name, resident ID, home address) of n adults (25 to 65 years old)."""
    oldest = np.datetime64(f"{as_of_year - 65}-01-01")
    births = oldest + rng.integers(0, 40 * 365, n).astype("timedelta64[D]")
    ids = resident_ids(rng, BIRTH_REGIONS, births, rng.integers(0, 1000, n))
    home = addresses(rng, known_regions(rng, ids.astype("U6")), homes=True)
    return person_names(rng, n), ids, home


def draw_parties(seed: int, book: Book, lessees: Lessees, lessors: int) -> Parties:
    """The party columns of a generated book (rows in their final order), from the stream [seed, 8]."""
    rng = np.random.default_rng([seed, PARTY_STREAM])
    count = len(book["lessor"])
    as_of_year = int(book["registered_at"].max().astype("datetime64[Y]").astype(np.int64)) + 1970

    # Lessors: companies ("91") registered where LESSOR_REGIONS says.
    lessor_regions = np.array(LESSOR_REGIONS[:lessors])
    lessor_uscc = usccs(np.full(lessors, "91"), lessor_regions, rng.choice(10**8, lessors, replace=False))
    lessor_address = addresses(rng, lessor_regions)
    lessor_representative = person_names(rng, lessors)

    # Lessees: one address and (enterprises) one legal representative each, the same on all their contracts.
    lessee_regions = known_regions(rng, lessees.region)
    office = addresses(rng, lessee_regions)
    home = addresses(rng, lessee_regions, homes=True)
    lessee_address = np.where(lessees.enterprise, office, home)
    representative, representative_id, representative_home = _people(rng, len(lessees), as_of_year)
    representative = np.where(lessees.enterprise, representative, "")

    who = book["lessee"]
    guarantors = _guarantors(
        rng, who, lessees, lessee_regions, representative, representative_id, representative_home, as_of_year
    )

    # Registration at 中登网: "0", the registration date (YYYYMMDD) and a 15-digit number, unique.
    dates = np.char.replace(np.datetime_as_string(book["registered_at"], unit="D"), "-", "")
    registration_no = np.char.add(
        np.char.add("0", dates), strings(digit_matrix(rng.choice(10**15, count, replace=False), 15))
    )

    supplier = _suppliers(rng, book, lessee_regions[who])
    # Last known place of the asset: mostly where the lessee is, else wherever it was last seen working.
    elsewhere = addresses(rng, _REGION_CODES[rng.integers(0, len(_REGION_CODES), count)])
    location = np.where(rng.random(count) < 0.7, lessee_address[who], elsewhere)

    contract_address = lessee_address[who]
    missing = np.flatnonzero(rng.random(count) < MISSING_LESSEE_ADDRESS_SHARE)
    dropped = contract_address[missing].copy()
    contract_address[missing] = ""
    return Parties(
        lessor_uscc=lessor_uscc,
        lessor_address=lessor_address,
        lessor_legal_representative=lessor_representative,
        lessee_address=contract_address,
        lessee_legal_representative=representative[who],
        guarantors=guarantors,
        registration_no=registration_no,
        supplier=supplier,
        location=location,
        missing_lessee_address=missing,
        dropped_address=dropped,
    )


def _guarantors(
    rng: np.random.Generator,
    who: np.ndarray,
    lessees: Lessees,
    lessee_regions: np.ndarray,
    representative: np.ndarray,
    representative_id: np.ndarray,
    representative_home: np.ndarray,
    as_of_year: int,
) -> np.ndarray:
    """`name|id_no|address` of each contract's guarantors, joined by ";": an enterprise's first guarantor is
    mostly its legal representative; the others are people (a spouse, a partner) or guarantee companies."""
    count = len(who)
    number = rng.choice(3, count, p=np.array(GUARANTOR_COUNT_SHARES))
    slots = 2 * count
    person_name, person_id, person_home = _people(rng, slots, as_of_year)
    company_region = lessee_regions[np.repeat(who, 2)]
    company_name = company_names(
        rng, company_region, np.array(GUARANTEE_SUFFIXES)[rng.integers(0, len(GUARANTEE_SUFFIXES), slots)]
    )
    company_id = usccs(np.full(slots, "91"), company_region, rng.choice(10**8, slots, replace=False))
    company_address = addresses(rng, company_region)
    is_company = rng.random(slots) < 0.3
    use_representative = lessees.enterprise[who] & (rng.random(count) < 0.7)
    out = np.empty(count, dtype=object)
    for row in range(count):
        entries = []
        for k in range(int(number[row])):
            slot = 2 * row + k
            if k == 0 and use_representative[row]:
                lessee = who[row]
                fields = (representative[lessee], representative_id[lessee], representative_home[lessee])
            elif is_company[slot]:
                fields = (company_name[slot], company_id[slot], company_address[slot])
            else:
                fields = (person_name[slot], person_id[slot], person_home[slot])
            entries.append(GUARANTOR_FIELD_SEPARATOR.join(str(f) for f in fields))
        out[row] = GUARANTOR_SEPARATOR.join(entries)
    return out.astype(str)


def _suppliers(rng: np.random.Generator, book: Book, regions: np.ndarray) -> np.ndarray:
    """The seller on each asset's purchase invoice: one of a few dealers of its kind of asset in the lessee's
    region (DEALERS_PER_SEGMENT_AND_CITY), or, for a fifth of purchases, in another region."""
    count = len(regions)
    segment = np.array([m.segment for m in CATALOG])[book["model"]]
    regions = np.where(
        rng.random(count) < 0.8, regions, _REGION_CODES[rng.integers(0, len(_REGION_CODES), count)]
    )
    dealer = rng.integers(0, DEALERS_PER_SEGMENT_AND_CITY, count)
    # Every (segment, region, dealer) is one company, named by its own small seeded draw.
    keys = np.char.add(np.char.add(segment, regions), dealer.astype(str))
    unique, inverse = np.unique(keys, return_inverse=True)
    first = np.zeros(len(unique), dtype=np.int64)
    first[inverse[::-1]] = np.arange(count)[::-1]
    suffix = np.array([rng.choice(np.array(SUPPLIER_SUFFIXES[s])) for s in segment[first].tolist()])
    names = company_names(rng, regions[first], suffix)
    return names[inverse]
