"""The register built from a real store (SQLite and PostgreSQL): checks, records, and what a lessor may see."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from leaseguard.registry.check import AssetFacts, Verdict
from leaseguard.registry.identifiers import vin_check_digit
from leaseguard.registry.register import Register
from leaseguard.registry.rules import load_rules
from leaseguard.registry.screen import screen_register
from leaseguard.registry.service import RegisterCache, record_check, shared_view
from leaseguard.store.db import session_factory
from leaseguard.store.models import Asset, AssetCheck, Contract, Lessor

TODAY = dt.date(2026, 11, 23)


def valid_vin(serial: int) -> str:
    draft = f"LSVAB2050D3{serial:06d}"
    return draft[:8] + vin_check_digit(draft) + draft[9:]


def _contract(no: str, lessor: str, start: dt.date, months: int) -> Contract:
    return Contract(
        contract_no=no,
        lessor=lessor,
        lessee_id="91110000600037341L",
        lessee_name="甲物流有限公司",
        lessee_type="enterprise",
        start_date=start,
        term_months=months,
        principal_fen=20_000_000,
        annual_rate="0.065",
        method="annuity",
        frequency="monthly",
    )


def _asset(lessor: str, asset_id: str, vin: str, contract_no: str | None, lessee: str) -> Asset:
    return Asset(
        lessor=lessor,
        asset_id=asset_id,
        asset_type="vehicle",
        vin=vin,
        engine_no=f"E{asset_id}",
        manufacturer="上汽大众",
        model="帕萨特",
        invoice_code="011002100111",
        invoice_no=f"{abs(hash(asset_id)) % 10**8:08d}",
        invoice_amount_fen=20_000_000,
        lessee_id=lessee,
        lessee_name="甲物流有限公司",
        contract_no=contract_no,
        registered_at=dt.date(2026, 1, 5),
    )


def _seed(engine: Engine) -> None:
    with session_factory(engine)() as session, session.begin():
        session.add_all([Lessor(code="L001", name="甲租赁"), Lessor(code="L002", name="乙租赁")])
        session.flush()
        session.add_all(
            [
                _contract("C-ACTIVE", "L001", dt.date(2026, 1, 1), 36),
                _contract("C-ENDED", "L001", dt.date(2020, 1, 1), 24),
            ]
        )
        session.flush()
        session.add_all(
            [
                _asset("L001", "A1", valid_vin(101), "C-ACTIVE", "91110000600037341L"),
                _asset("L001", "A2", valid_vin(102), "C-ENDED", "91110000600037341L"),
                _asset("L002", "B1", valid_vin(101).replace("0", "O", 1), None, "91310000MA1FL0RL8D"),
            ]
        )


def test_register_knows_which_financing_is_active(store_engine: Engine) -> None:
    _seed(store_engine)
    register = Register.from_engine(store_engine, load_rules(), as_of=TODAY)
    states = dict(zip(register.assets["asset_id"], register.assets["financing_active"], strict=True))
    assert states == {"A1": True, "A2": False, "B1": None}


def test_check_blocks_active_and_reviews_ended_financing(store_engine: Engine) -> None:
    _seed(store_engine)
    register = Register.from_engine(store_engine, load_rules(), as_of=TODAY)
    active = register.check(AssetFacts(lessor="L002", asset_type="vehicle", vin=valid_vin(101)))
    assert active.verdict is Verdict.BLOCK
    assert {(m.registration.lessor, m.registration.asset_id) for m in active.matches} == {
        ("L001", "A1"),
        ("L002", "B1"),
    }
    ended = register.check(AssetFacts(lessor="L002", asset_type="vehicle", vin=valid_vin(102)))
    assert ended.verdict is Verdict.REVIEW


def test_another_lessors_match_shows_only_what_the_consortium_shares(store_engine: Engine) -> None:
    _seed(store_engine)
    register = Register.from_engine(store_engine, load_rules(), as_of=TODAY)
    outcome = register.check(AssetFacts(lessor="L002", asset_type="vehicle", vin=valid_vin(101)))
    by_lessor = {m.registration.lessor: shared_view(m, "L002") for m in outcome.matches}
    foreign, own = by_lessor["L001"], by_lessor["L002"]
    assert foreign["registered_at"] == dt.date(2026, 1, 5) and foreign["financing_active"] is True
    for secret in ("asset_id", "lessee_id", "lessee_name", "contract_no", "vin", "invoice_no"):
        assert secret not in foreign
    assert "91110000600037341L" not in str(foreign) and "甲物流" not in str(foreign)
    assert own["asset_id"] == "B1" and own["lessee_id"] == "91310000MA1FL0RL8D"


def test_every_check_is_recorded_and_the_register_is_untouched(store_engine: Engine) -> None:
    _seed(store_engine)
    register = Register.from_engine(store_engine, load_rules(), as_of=TODAY)
    asked = AssetFacts(lessor="L002", asset_type="vehicle", vin=valid_vin(101))
    outcome = register.check(asked)
    with session_factory(store_engine)() as session, session.begin():
        record_check(
            session, asked=asked, outcome=outcome, asked_by="key123", channel="test", rules_version=1
        )
    with session_factory(store_engine)() as session:
        (row,) = session.scalars(select(AssetCheck)).all()
        assert row.verdict == "block" and row.asked_by == "key123" and row.request["vin"] == valid_vin(101)
        # The asker's own match keeps its asset; another lessor's keeps only what the asker was shown.
        assert sorted((m["lessor"], m.get("asset_id")) for m in row.matches) == [
            ("L001", None),
            ("L002", "B1"),
        ]
        assert len(session.scalars(select(Asset)).all()) == 3


def test_cache_rebuilds_after_new_registrations(store_engine: Engine) -> None:
    _seed(store_engine)
    cache = RegisterCache(store_engine, refresh_seconds=0)
    first = cache.get()
    assert cache.get() is first
    with session_factory(store_engine)() as session, session.begin():
        session.add(_asset("L002", "B2", valid_vin(500), None, "91310000MA1FL0RL8D"))
    assert len(cache.get()) == len(first) + 1


def test_screen_pairs_the_ocr_altered_duplicate_and_nothing_else(store_engine: Engine) -> None:
    _seed(store_engine)
    register = Register.from_engine(store_engine, load_rules(), as_of=TODAY)
    result = screen_register(register)
    pairs = {
        tuple(sorted([(r["lessor_a"], r["asset_id_a"]), (r["lessor_b"], r["asset_id_b"])]))
        for r in result.matches.iter_rows(named=True)
    }
    assert pairs == {(("L001", "A1"), ("L002", "B1"))}
    assert result.matches["verdict"].to_list() == ["block"]


def test_a_signed_check_is_deposited_in_the_evidence_log_and_proven(store_engine: Engine) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from leaseguard.evidence import NoteSigner, get_record, inclusion_proof, tree_root
    from leaseguard.evidence.merkle import leaf_hash, verify_inclusion

    _seed(store_engine)
    register = Register.from_engine(store_engine, load_rules(), as_of=TODAY)
    asked = AssetFacts(lessor="L002", asset_type="vehicle", vin=valid_vin(101))
    outcome = register.check(asked)
    signer = NoteSigner("leaseguard.test/log", Ed25519PrivateKey.generate())
    with session_factory(store_engine)() as session, session.begin():
        row = record_check(
            session,
            asked=asked,
            outcome=outcome,
            asked_by="key9",
            channel="api",
            rules_version=1,
            signer=signer,
        )
        index = row.evidence_index
    assert index is not None
    record = get_record(store_engine, index, lessor="L002")
    assert record.kind == "asset-check" and record.ref == f"asset_check:{row.id}"
    assert b'"verdict":"block"' in (record.content or b"")
    proof = inclusion_proof(store_engine, index)
    verify_inclusion(
        leaf_hash(record.entry), index, proof.tree_size, list(proof.path), tree_root(store_engine)
    )
    with session_factory(store_engine)() as session:
        assert session.get(AssetCheck, row.id).evidence_index == index  # type: ignore[union-attr]
