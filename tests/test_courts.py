"""Which court a complaint goes to (`enforcement.courts`): arbitration, the agreed court, the place the asset is
used, the lessee's domicile, the level by the amount claimed — against the division table python-stdnum ships."""

from __future__ import annotations

from pathlib import Path

import pytest

from leaseguard.enforcement.courts import (
    CourtRulesError,
    choose_court,
    division_of,
    division_of_id,
    load_court_rules,
)

RULES = load_court_rules()
YI = 100_000_000 * 100  # 1亿元 in fen


def _choose(**given: object) -> object:
    arguments: dict[str, object] = {
        "agreed": None, "arbitration": None, "asset_locations": [], "lessee_address": None, "lessee_id": None,
        "claim_fen": 10_000_000, "rules": RULES,
    }  # fmt: skip
    arguments.update(given)
    return choose_court(**arguments)  # type: ignore[arg-type]


def test_arbitration_excludes_the_courts_even_with_an_agreed_court() -> None:
    choice = _choose(arbitration="上海国际仲裁中心", agreed="北京市海淀区人民法院")
    assert choice.court is None and choice.basis == "arbitration"  # type: ignore[attr-defined]
    assert "上海国际仲裁中心仲裁" in choice.reason  # type: ignore[attr-defined]


def test_the_agreed_court_is_used_as_the_contract_names_it() -> None:
    choice = _choose(agreed="上海金融法院", asset_locations=["上海市浦东新区张江路1号"])
    assert (choice.court, choice.basis) == ("上海金融法院", "agreed")  # type: ignore[attr-defined]


def test_the_place_the_asset_is_used_comes_first_and_the_domicile_is_named_too() -> None:
    choice = _choose(asset_locations=["上海市浦东新区张江路1号"], lessee_address="北京市海淀区中关村大街2号")
    assert choice.court == "上海市浦东新区人民法院" and choice.basis == "asset_location"  # type: ignore[attr-defined]
    assert choice.alternatives == ("北京市海淀区人民法院",) and "第十九条" in choice.reason  # type: ignore[attr-defined]
    elsewhere = _choose(asset_locations=["江苏省苏州市吴中区东吴北路1号"])
    assert elsewhere.court == "苏州市吴中区人民法院"  # type: ignore[attr-defined]
    county_city = _choose(asset_locations=["江苏省昆山市前进中路1号"])
    assert county_city.court == "昆山市人民法院"  # type: ignore[attr-defined]


def test_without_a_location_the_lessee_domicile_then_its_identifier() -> None:
    by_address = _choose(lessee_address="广东省深圳市南山区科技园路1号")
    assert (by_address.court, by_address.basis) == ("深圳市南山区人民法院", "lessee_domicile")  # type: ignore[attr-defined]
    by_uscc = _choose(lessee_id="91110108MA01BQ2W6A")  # registered in 110108, 海淀区
    assert by_uscc.court == "北京市海淀区人民法院"  # type: ignore[attr-defined]
    assert division_of_id("110105198506151009") == "110105"
    assert division_of_id("not an id") is None


def test_no_court_when_nothing_can_be_placed() -> None:
    choice = _choose(asset_locations=["工地"], lessee_address="某处")
    assert choice.court is None and choice.basis == "none"  # type: ignore[attr-defined]
    assert "无法确定管辖法院" in choice.reason  # type: ignore[attr-defined]


def test_abolished_districts_do_not_match_an_address() -> None:
    assert division_of("北京市崇文区前门大街1号") is None  # merged into 东城区 in 2010
    assert division_of("北京市东城区前门大街1号") == "110101"


def test_the_level_rises_with_the_amount_and_sooner_when_a_party_is_outside_the_province() -> None:
    """5亿元 with every party in Shanghai, 1亿元 with the lessor in Beijing; 50亿元 goes to the high court."""
    shanghai = ["上海市浦东新区张江路1号"]
    below = _choose(asset_locations=shanghai, lessee_address="上海市徐汇区漕溪北路1号", claim_fen=2 * YI,
                    plaintiff_province="31")  # fmt: skip
    assert below.level == "basic"  # type: ignore[attr-defined]
    outside = _choose(asset_locations=shanghai, lessee_address="上海市徐汇区漕溪北路1号", claim_fen=2 * YI,
                      plaintiff_province="11")  # fmt: skip
    assert (outside.court, outside.level) == ("上海市第一中级人民法院", "intermediate")  # type: ignore[attr-defined]
    suzhou = _choose(
        asset_locations=["江苏省苏州市吴中区东吴北路1号"], claim_fen=5 * YI, plaintiff_province="32"
    )
    assert suzhou.court == "苏州市中级人民法院"  # type: ignore[attr-defined]
    high = _choose(asset_locations=shanghai, claim_fen=50 * YI)
    assert (high.court, high.level) == ("上海市高级人民法院", "high")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('intermediate_same_province: "500000000"', ""), "levels.intermediate_same_province is missing"),
        (('high: "5000000000"', 'high: "-1"'), "levels.high: '-1' must be a positive amount"),
        (('high: "5000000000"', 'high: "100"'), "levels must rise"),
        (("levels:", "levels: 3\nunused:"), "levels is missing or not a mapping"),
        (('"110101": 北京市第二中级人民法院', "110101: 北京市第二中级人民法院"), "six-digit division codes"),
    ],
)
def test_a_broken_courts_file_is_refused_by_name(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    from importlib import resources

    text = resources.files("leaseguard.defaults").joinpath("enforcement", "courts.yaml").read_text("utf-8")
    assert change[0] in text
    path = tmp_path / "courts.yaml"
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(CourtRulesError) as refused:
        load_court_rules(path)
    assert str(path) in str(refused.value) and message in refused.value.text("en")
