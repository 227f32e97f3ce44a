"""The lessees of the book: enterprises with unified social credit codes and unique names, some in groups of
affiliated companies, and individuals with resident IDs; each carries a risk no column of the book shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from leaseguard.synth.catalog import (
    AFFILIATE_SUFFIXES,
    BIRTH_REGIONS,
    COMPANY_REGIONS,
    COMPANY_SUFFIXES,
    ENTERPRISE_INDUSTRY_SHARES,
    GIVEN_NAMES,
    INDIVIDUAL_INDUSTRY_SHARES,
    INDUSTRIES,
    PUBLIC_HOSPITALS,
    SURNAMES,
    TRADE_NAME_CHARACTERS,
)
from leaseguard.synth.identifiers import resident_ids, usccs
from leaseguard.synth.parameters import SynthParameters

_HOSPITAL_INDUSTRY = INDUSTRIES.index("医疗卫生")
# Numbers behind organisation codes: the book's companies draw below ORIGINAL_NUMBERS, affiliates founded for
# duplicate financing from the range above it, so no two companies share a code.
ORIGINAL_NUMBERS = 90_000_000
AFFILIATE_NUMBERS = 10_000_000


@dataclass(frozen=True)
class Lessees:
    """One entry per lessee, as parallel columns; contracts refer to lessees by position."""

    lessee_id: np.ndarray
    name: np.ndarray
    enterprise: np.ndarray  # bool
    industry: np.ndarray  # index into INDUSTRIES
    group_id: np.ndarray  # "" where the lessee belongs to no group
    hidden_risk: np.ndarray  # log-odds of default that no column explains
    home_lessor: np.ndarray  # the lessor the lessee usually leases from
    appetite: np.ndarray  # relative number of contracts the lessee takes (fleets take many)
    region: np.ndarray  # county code of registration or of birth

    def __len__(self) -> int:
        return len(self.lessee_id)


def draw_lessees(
    rng: np.random.Generator, count: int, lessors: int, parameters: SynthParameters, as_of: dt.date
) -> Lessees:
    p = parameters
    enterprise = rng.random(count) < p.enterprise_share
    industry = np.where(
        enterprise,
        rng.choice(len(INDUSTRIES), count, p=np.array(ENTERPRISE_INDUSTRY_SHARES)),
        rng.choice(len(INDUSTRIES), count, p=np.array(INDIVIDUAL_INDUSTRY_SHARES)),
    )
    lessee_id = np.empty(count, dtype="U18")
    name = np.empty(count, dtype=object)
    region = np.empty(count, dtype="U6")

    companies = np.flatnonzero(enterprise)
    registration, company_region, company_name = _companies(rng, industry[companies], p)
    lessee_id[companies] = usccs(
        registration, company_region, rng.choice(ORIGINAL_NUMBERS, len(companies), replace=False)
    )
    name[companies] = company_name
    region[companies] = company_region

    people = np.flatnonzero(~enterprise)
    # Individual lessees are 22 to 62 years old on the book date.
    oldest = np.datetime64(dt.date(as_of.year - 62, 1, 1))
    births = oldest + rng.integers(0, 40 * 365, len(people)).astype("timedelta64[D]")
    ids = _unique_resident_ids(rng, births)
    lessee_id[people] = ids
    surname = np.array(list(SURNAMES))[rng.integers(0, len(SURNAMES), len(people))]
    given = np.array(list(GIVEN_NAMES))[rng.integers(0, len(GIVEN_NAMES), (len(people), 2))]
    two_given = rng.random(len(people)) < 0.6
    name[people] = np.char.add(np.char.add(surname, given[:, 0]), np.where(two_given, given[:, 1], ""))
    region[people] = ids.astype("U6")

    group_id = np.full(count, "", dtype="U8")
    grouped = rng.permutation(companies[rng.random(len(companies)) < p.group_share])
    if len(grouped) >= 2:
        # Groups of two to five companies; a lone member left at the end joins the first group.
        groups = np.repeat(np.arange(len(grouped)), rng.integers(2, 6, len(grouped)))[: len(grouped)]
        if np.sum(groups == groups[-1]) == 1:
            groups[-1] = groups[0]
        group_id[grouped] = np.char.add("G", np.char.zfill((groups + 1).astype(str), 6))
    return Lessees(
        lessee_id=lessee_id,
        name=name,
        enterprise=enterprise,
        industry=industry,
        group_id=group_id,
        hidden_risk=rng.normal(0, p.hidden_risk_sd, count),
        home_lessor=rng.integers(0, lessors, count),
        appetite=np.where(enterprise, rng.lognormal(0.6, p.fleet_size_sd, count), 1.0),
        region=region,
    )


def _companies(
    rng: np.random.Generator, industry: np.ndarray, p: SynthParameters
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(registration type, county code, name) of each company; names are unique, as registration keeps them."""
    n = len(industry)
    registration = np.full(n, "91", dtype="U2")
    region = np.empty(n, dtype="U6")
    name = np.empty(n, dtype=object)
    cities = np.array([city for _, city in COMPANY_REGIONS])
    codes = np.array([code for code, _ in COMPANY_REGIONS])
    trade_names = np.array([a + b for a in TRADE_NAME_CHARACTERS for b in TRADE_NAME_CHARACTERS if a != b])
    for index, industry_name in enumerate(INDUSTRIES):
        rows = np.flatnonzero(industry == index)
        suffixes = np.array(COMPANY_SUFFIXES[industry_name])
        space = len(codes) * len(trade_names) * len(suffixes)
        picks = rng.choice(space, len(rows), replace=len(rows) > space)
        where, rest = picks % len(codes), picks // len(codes)
        region[rows] = codes[where]
        name[rows] = np.char.add(
            np.char.add(cities[where], trade_names[rest % len(trade_names)]),
            suffixes[rest // len(trade_names)],
        )
        if index == _HOSPITAL_INDUSTRY:
            # Public hospitals are public institutions ("12…") named after their city: one of each per city.
            city_codes = dict(zip(cities.tolist(), codes.tolist(), strict=True))  # a city's first district
            hospital_cities, hospital_codes = np.array(list(city_codes)), np.array(list(city_codes.values()))
            slots = rng.permutation(len(hospital_cities) * len(PUBLIC_HOSPITALS))
            public = rows[rng.random(len(rows)) < p.public_hospital_share][: len(slots)]
            slots = slots[: len(public)]
            registration[public] = "12"
            region[public] = hospital_codes[slots % len(hospital_cities)]
            name[public] = np.char.add(
                hospital_cities[slots % len(hospital_cities)],
                np.array(PUBLIC_HOSPITALS)[slots // len(hospital_cities)],
            )
    return registration, region, name


def _unique_resident_ids(rng: np.random.Generator, births: np.ndarray) -> np.ndarray:
    """Two people never share an ID: a repeated one is drawn again until it is unique."""
    ids = resident_ids(rng, BIRTH_REGIONS, births, rng.integers(0, 1000, len(births)))
    while True:
        _, first = np.unique(ids, return_index=True)
        repeated = np.ones(len(ids), dtype=bool)
        repeated[first] = False
        if not repeated.any():
            return ids
        again = np.flatnonzero(repeated)
        ids[again] = resident_ids(rng, BIRTH_REGIONS, births[again], rng.integers(0, 1000, len(again)))


def add_affiliates(rng: np.random.Generator, lessees: Lessees, of: np.ndarray) -> tuple[Lessees, np.ndarray]:
    """An affiliated company for each enterprise lessee in `of` (positions): a group sibling where there is
    one, otherwise a new company with the same city and trade name, joined to the lessee in a new group.

    Returns the lessees (any new ones appended) and the affiliate's position for each entry of `of`.
    """
    members: dict[str, list[int]] = {}
    for position in np.flatnonzero(lessees.group_id != "").tolist():
        members.setdefault(str(lessees.group_id[position]), []).append(position)
    group_id = lessees.group_id.copy()
    next_group = len(members) + 1
    founded: dict[int, int] = {}  # lessee -> position of the affiliate founded for it
    names: list[str] = []
    taken = set(lessees.name[lessees.enterprise].tolist())
    affiliate = np.empty(len(of), dtype=np.int64)
    for k, lessee in enumerate(of.tolist()):
        siblings = [s for s in members.get(str(group_id[lessee]), []) if s != lessee]
        if siblings:
            affiliate[k] = siblings[int(rng.integers(len(siblings)))]
            continue
        if lessee not in founded:
            name = next(
                (
                    n
                    for n in (_trade_part(str(lessees.name[lessee])) + s for s in AFFILIATE_SUFFIXES)
                    if n not in taken
                ),
                None,
            )
            if (
                name is None
            ):  # every affiliate name of this trade name is taken: the lessee itself comes again
                affiliate[k] = lessee
                continue
            taken.add(name)
            names.append(name)
            founded[lessee] = len(lessees) + len(founded)
            if not group_id[lessee]:
                while f"G{next_group:06d}" in members:
                    next_group += 1
                group_id[lessee] = f"G{next_group:06d}"
                members[str(group_id[lessee])] = [lessee]
        affiliate[k] = founded[lessee]
    base = np.array(list(founded), dtype=np.int64)
    numbers = ORIGINAL_NUMBERS + rng.choice(AFFILIATE_NUMBERS, len(base), replace=False)
    grown = Lessees(
        lessee_id=np.concatenate(
            [lessees.lessee_id, usccs(np.full(len(base), "91"), lessees.region[base], numbers)]
        ),
        name=np.concatenate([lessees.name, np.array(names, dtype=object)]),
        enterprise=np.concatenate([lessees.enterprise, np.ones(len(base), dtype=bool)]),
        industry=np.concatenate([lessees.industry, lessees.industry[base]]),
        group_id=np.concatenate([group_id, group_id[base]]),
        hidden_risk=np.concatenate([lessees.hidden_risk, lessees.hidden_risk[base]]),
        home_lessor=np.concatenate([lessees.home_lessor, lessees.home_lessor[base]]),
        appetite=np.concatenate([lessees.appetite, lessees.appetite[base]]),
        region=np.concatenate([lessees.region, lessees.region[base]]),
    )
    return grown, affiliate


def _trade_part(name: str) -> str:
    """A company name without its business suffix: the city and the trade name."""
    for suffixes in COMPANY_SUFFIXES.values():
        for suffix in suffixes:
            if name.endswith(suffix):
                return name[: -len(suffix)]
    return name
