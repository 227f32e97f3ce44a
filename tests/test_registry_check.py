"""The ownership check tells duplicates, typos and forgeries from honest neighbours off the production line."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from leaseguard.registry.check import AssetFacts, PriceRange, Verdict, check_asset
from leaseguard.registry.identifiers import is_valid_vin, vin_check_digit
from leaseguard.registry.rules import load_rules

RULES = load_rules()


def valid_vin(prefix8: str, suffix8: str) -> str:
    """A VIN with a correct check digit in position 9."""
    draft = prefix8 + "0" + suffix8
    return prefix8 + vin_check_digit(draft) + suffix8


VIN = valid_vin("LFV2A21K", "A3000101")
NEXT_VIN = valid_vin("LFV2A21K", "A3000102")

REGISTERED = AssetFacts(
    lessor="L001",
    asset_id="A-1",
    asset_type="vehicle",
    vin=VIN,
    engine_no="CUF123456",
    manufacturer="一汽-大众",
    model="迈腾",
    invoice_code="011002100111",
    invoice_no="01234567",
    invoice_amount_fen=23_000_000,
    lessee_id="91110000600037341L",
    lessee_name="甲公司",
    contract_no="C-1",
    registered_at=dt.date(2026, 3, 1),
    financing_active=True,
)


def asked(**changes: object) -> AssetFacts:
    base = AssetFacts(
        lessor="L002",
        asset_type="vehicle",
        vin=VIN,
        manufacturer="一汽-大众",
        model="迈腾",
        lessee_id="91310000MA1FL0RL8D",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_test_vins_are_valid_and_differ_in_check_digit_and_serial() -> None:
    assert is_valid_vin(VIN) and is_valid_vin(NEXT_VIN)
    assert [i for i, (a, b) in enumerate(zip(VIN, NEXT_VIN, strict=True)) if a != b] == [8, 16]


@pytest.mark.parametrize(
    "presented",
    [VIN, VIN.lower(), f"{VIN[:3]}-{VIN[3:9]} {VIN[9:]}", "".join(chr(ord(c) + 0xFEE0) for c in VIN)],
)
def test_same_vin_at_another_lessor_blocks(presented: str) -> None:
    outcome = check_asset(asked(vin=presented), [REGISTERED], RULES)
    assert outcome.verdict is Verdict.BLOCK
    (match,) = outcome.matches
    assert match.match_kind == "vin_exact"
    assert any("registered by L001" in reason for reason in match.reasons)


def test_ocr_altered_vin_blocks() -> None:
    altered = VIN.replace("0", "O", 1).replace("1", "I", 1)
    outcome = check_asset(asked(vin=altered), [REGISTERED], RULES)
    assert outcome.verdict is Verdict.BLOCK
    assert outcome.matches[0].match_kind == "vin_exact"


def test_next_vehicle_off_the_line_is_clear() -> None:
    neighbour = dataclasses.replace(REGISTERED, vin=NEXT_VIN, engine_no="CUF123457", invoice_no="01234568")
    outcome = check_asset(
        asked(vin=VIN, engine_no="CUF123456", invoice_code="011002100111", invoice_no="01234567"),
        [neighbour],
        RULES,
    )
    assert outcome.verdict is Verdict.CLEAR
    assert outcome.matches == ()


def test_valid_vin_one_serial_character_away_is_a_neighbour_unless_the_lessee_is_the_same() -> None:
    # Consecutive digits always change the check digit; '1' and 'J' weigh the same, so both VINs stay valid.
    twin = VIN[:14] + "J" + VIN[15:]
    assert VIN[14] == "1" and is_valid_vin(twin)
    registered = dataclasses.replace(REGISTERED, vin=twin, engine_no=None, invoice_no=None)
    assert check_asset(asked(vin=VIN), [registered], RULES).verdict is Verdict.CLEAR
    # Naming the other lessor's customer changes nothing: an answer that did would tell who holds the asset.
    same_lessee = asked(vin=VIN, lessee_id=REGISTERED.lessee_id)
    assert check_asset(same_lessee, [registered], RULES).verdict is Verdict.CLEAR


def test_typo_in_vin_is_reviewed_and_blocked_when_the_engine_agrees() -> None:
    position = 4
    typo = VIN[:position] + ("7" if VIN[position] != "7" else "8") + VIN[position + 1 :]
    assert not is_valid_vin(typo)
    alone = check_asset(asked(vin=typo), [REGISTERED], RULES)
    assert alone.verdict is Verdict.REVIEW
    assert {f.code for f in alone.findings} == {"vin_invalid"}
    assert alone.matches[0].match_kind == "vin_near"
    with_engine = check_asset(asked(vin=typo, engine_no="CUF 123456"), [REGISTERED], RULES)
    assert with_engine.verdict is Verdict.BLOCK


@pytest.mark.parametrize(
    "alter",
    [lambda v: v[:10] + v[11:], lambda v: v[:10] + v[10] + v[10:], lambda v: v[:5] + v[6] + v[5] + v[7:]],
)
def test_dropped_doubled_and_swapped_characters_are_found(alter: object) -> None:
    presented = alter(VIN)  # type: ignore[operator]
    outcome = check_asset(asked(vin=presented), [REGISTERED], RULES)
    assert outcome.verdict in (Verdict.REVIEW, Verdict.BLOCK)
    assert outcome.matches and outcome.matches[0].match_kind.startswith("vin_")


def test_reused_invoice_behind_another_asset_blocks() -> None:
    other_vin = valid_vin("LSVAB205", "D9000001")
    outcome = check_asset(
        asked(vin=other_vin, invoice_code="011002100111", invoice_no="01234567"), [REGISTERED], RULES
    )
    assert outcome.verdict is Verdict.BLOCK
    assert outcome.matches[0].match_kind == "invoice_reused"


EXCAVATOR = AssetFacts(
    lessor="L001",
    asset_id="M-1",
    asset_type="machinery",
    serial_no="SY021K0012345",
    manufacturer="三一重工",
    financing_active=True,
)


def test_serial_numbers_collide_only_within_one_manufacturer() -> None:
    same = AssetFacts(
        lessor="L003", asset_type="machinery", serial_no="sy021k-0012345", manufacturer="三一重工"
    )
    other_maker = dataclasses.replace(same, manufacturer="徐工")
    assert check_asset(same, [EXCAVATOR], RULES).verdict is Verdict.BLOCK
    assert check_asset(other_maker, [EXCAVATOR], RULES).verdict is Verdict.CLEAR


def test_serial_counter_neighbour_is_clear_but_a_dropped_character_is_not() -> None:
    neighbour = AssetFacts(
        lessor="L003", asset_type="machinery", serial_no="SY021K0012346", manufacturer="三一重工"
    )
    dropped = dataclasses.replace(neighbour, serial_no="SY021K012345")
    assert check_asset(neighbour, [EXCAVATOR], RULES).verdict is Verdict.CLEAR
    assert check_asset(dropped, [EXCAVATOR], RULES).verdict is Verdict.REVIEW


def test_ended_financing_is_reviewed_not_blocked() -> None:
    ended = dataclasses.replace(REGISTERED, financing_active=False)
    outcome = check_asset(asked(), [ended], RULES)
    assert outcome.verdict is Verdict.REVIEW
    assert any("financing ended" in reason for reason in outcome.matches[0].reasons)


def test_asking_about_the_own_registration_again_is_clear() -> None:
    own = asked(lessor="L001", asset_id="A-1", lessee_id=REGISTERED.lessee_id)
    assert check_asset(own, [REGISTERED], RULES).verdict is Verdict.CLEAR


def test_price_far_above_the_model_median_is_reviewed() -> None:
    reference = PriceRange(median_fen=23_000_000, peers=40)
    inflated = check_asset(asked(vin=NEXT_VIN, invoice_amount_fen=60_000_000), [], RULES, reference)
    assert inflated.verdict is Verdict.REVIEW
    assert inflated.findings[0].code == "price_out_of_range"
    plausible = check_asset(asked(vin=NEXT_VIN, invoice_amount_fen=24_000_000), [], RULES, reference)
    assert plausible.verdict is Verdict.CLEAR
    few_peers = check_asset(
        asked(vin=NEXT_VIN, invoice_amount_fen=60_000_000), [], RULES, PriceRange(23_000_000, 2)
    )
    assert few_peers.verdict is Verdict.CLEAR


def test_malformed_identifiers_are_findings_not_errors() -> None:
    outcome = check_asset(asked(vin="NOT-A-VIN", invoice_no="12AB", invoice_code="9"), [REGISTERED], RULES)
    assert outcome.verdict is Verdict.REVIEW
    assert {f.code for f in outcome.findings} == {"vin_invalid", "invoice_malformed"}


def test_purchase_contract_shown_to_another_lessor_is_reviewed() -> None:
    other_asset = asked(vin=valid_vin("LSVAB205", "D9000001"), purchase_contract_no="GM-2026-0042")
    registered = dataclasses.replace(REGISTERED, purchase_contract_no="gm2026 0042")
    outcome = check_asset(other_asset, [registered], RULES)
    assert outcome.verdict is Verdict.REVIEW
    assert outcome.matches[0].match_kind == "purchase_contract_reused"
    same_lessor = dataclasses.replace(other_asset, lessor="L001")
    assert check_asset(same_lessor, [registered], RULES).verdict is Verdict.CLEAR
