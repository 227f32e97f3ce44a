"""The synthetic book: valid identifiers, honest ground truth, predictable-but-not-trivial defaults, loadable."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import polars as pl
import pytest
import vininfo

from leaseguard.registry.identifiers import is_valid_resident_id, is_valid_uscc, is_valid_vin
from leaseguard.registry.normalize import ocr_fold
from leaseguard.synth import generate_book
from leaseguard.synth.fraud import HARD, SOFT


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("book")
    generate_book(out, contracts=4000, seed=11)
    return out


def read(book: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(book / f"{name}.csv", infer_schema=False)


def test_every_lessee_id_passes_its_check(book: Path) -> None:
    contracts = read(book, "contracts")
    for lessee_type, lessee_id in contracts.select("lessee_type", "lessee_id").unique().iter_rows():
        valid = is_valid_uscc(lessee_id) if lessee_type == "enterprise" else is_valid_resident_id(lessee_id)
        assert valid, (lessee_type, lessee_id)
    assert set(contracts["lessee_type"]) == {"enterprise", "individual"}


def test_every_unaltered_vin_is_valid_with_a_known_chinese_manufacturer(book: Path) -> None:
    assets = read(book, "assets")
    altered = set(read(book, "ground_truth")["asset_id"])
    vins = assets.filter(pl.col("vin").is_not_null() & ~pl.col("asset_id").is_in(list(altered)))[
        "vin"
    ].to_list()
    assert len(vins) > 1000
    for vin in vins:
        assert is_valid_vin(vin), vin
        assert vin[0] == "L" and vininfo.Vin(vin).manufacturer, vin


def test_vins_and_serials_run_in_production_sequence_within_a_model(book: Path) -> None:
    assets = read(book, "assets").filter(pl.col("asset_id").str.starts_with("A"))
    for _, group in assets.filter(pl.col("vin").is_not_null()).group_by("model"):
        serials = sorted(int(vin[-6:]) for vin in group["vin"])
        gaps = [b - a for a, b in itertools.pairwise(serials)]
        assert len(set(serials)) == len(serials)
        assert sorted(gaps)[len(gaps) // 2] <= 3  # mostly consecutive units, as a factory issues them
    machinery = assets.filter(pl.col("asset_type") == "machinery")
    assert machinery["serial_no"].null_count() == 0 and machinery["serial_no"].n_unique() == machinery.height


def test_every_injected_fraud_is_in_the_ground_truth_and_in_the_files(book: Path) -> None:
    assets = read(book, "assets")
    truth = read(book, "ground_truth")
    by_key = {(r["lessor"], r["asset_id"]): r for r in assets.iter_rows(named=True)}
    kinds = set(truth["kind"])
    assert kinds == {"duplicate_financing", "reused_invoice", "inflated_invoice"}
    labels: set[str] = set()
    for row in truth.iter_rows(named=True):
        asset = by_key[(row["lessor"], row["asset_id"])]
        if row["kind"] == "duplicate_financing":
            other = by_key[(row["other_lessor"], row["other_asset_id"])]
            assert (
                asset[row["field"]] == row["altered_value"] and other[row["field"]] == row["original_value"]
            )
            assert row["lessor"] != row["other_lessor"]
            labels |= {label.split(":")[0] for label in (row["alterations"] or "").split(";") if label}
            soft_only = all(
                label.split(":")[0] in SOFT for label in (row["alterations"] or "").split(";") if label
            )
            if soft_only:
                assert ocr_fold(row["altered_value"]) == ocr_fold(row["original_value"])
            else:
                assert ocr_fold(row["altered_value"]) != ocr_fold(row["original_value"])
        elif row["kind"] == "reused_invoice":
            other = by_key[(row["other_lessor"], row["other_asset_id"])]
            assert (asset["invoice_code"], asset["invoice_no"]) == (
                other["invoice_code"],
                other["invoice_no"],
            )
        else:
            assert asset["invoice_amount"] == row["altered_value"]
            assert float(row["altered_value"]) > 1.7 * float(row["original_value"])
    assert labels == set(SOFT) | set(HARD)


def test_files_hold_together_as_the_importer_requires(book: Path) -> None:
    lessors = set(read(book, "lessors")["code"])
    contracts = read(book, "contracts")
    assets = read(book, "assets")
    payments = read(book, "payments")
    valuations = read(book, "valuations")
    assert set(contracts["lessor"]) <= lessors and contracts["contract_no"].n_unique() == contracts.height
    owner = dict(contracts.select("contract_no", "lessor").iter_rows())
    assert all(owner[no] == lessor for no, lessor in assets.select("contract_no", "lessor").iter_rows())
    assert assets.select("lessor", "asset_id").n_unique() == assets.height
    assert set(payments["contract_no"]) <= set(owner)
    assert payments["paid_date"].max() <= "2026-10-31"
    assert not payments["amount"].str.starts_with("-").any()
    assert set(valuations.select("lessor", "asset_id").iter_rows()) <= set(
        assets.select("lessor", "asset_id").iter_rows()
    )


def test_defaults_are_predictable_but_not_trivially(book: Path) -> None:
    outcomes = read(book, "contract_outcomes").with_columns(pl.col("latent_risk").cast(pl.Float64))
    risk = outcomes["latent_risk"].to_list()
    defaulted = [value == "true" for value in outcomes["defaulted"]]
    assert 0.02 < sum(defaulted) / len(defaulted) < 0.4
    positives = [r for r, d in zip(risk, defaulted, strict=True) if d]
    negatives = [r for r, d in zip(risk, defaulted, strict=True) if not d]
    wins = sum((p > n) + 0.5 * (p == n) for p in positives[:400] for n in negatives[:2000])
    auc = wins / (min(400, len(positives)) * min(2000, len(negatives)))
    assert 0.6 < auc < 0.95, auc


def test_same_seed_same_bytes_other_seed_other_book(tmp_path: Path) -> None:
    def digest(seed: int, name: str) -> str:
        generate_book(tmp_path / name, contracts=300, seed=seed)
        return "".join(
            hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((tmp_path / name).glob("*.csv"))
        )

    assert digest(5, "a") == digest(5, "b")
    assert digest(5, "a") != digest(6, "c")


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 10 contracts"):
        generate_book(tmp_path, contracts=3)
    with pytest.raises(ValueError, match="lessors must be"):
        generate_book(tmp_path, contracts=100, lessors=50)


def test_synth_command_writes_the_book_and_refuses_bad_dates(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from leaseguard.cli.main import app

    runner = CliRunner()
    result = runner.invoke(app, ["synth", "--out", str(tmp_path / "b"), "--contracts", "200", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "b").glob("*.csv")} == {
        "lessors.csv",
        "contracts.csv",
        "assets.csv",
        "payments.csv",
        "valuations.csv",
        "ground_truth.csv",
        "contract_outcomes.csv",
    }
    bad = runner.invoke(app, ["synth", "--out", str(tmp_path / "c"), "--as-of", "2026-02-30"])
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.output
