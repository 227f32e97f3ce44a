"""Property tests (hypothesis): whatever bytes a cell holds, an import answers with a stored row, a row error or
a refused file — never an exception — and the good rows around it still load; the identifier normalisers and
checks take any text without raising and keep their own promises (idempotent, their alphabet, their check
characters)."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from leaseguard.ingest import import_paths
from leaseguard.registry.identifiers import (
    is_valid_lessee_id,
    is_valid_organization_code,
    is_valid_resident_id,
    is_valid_uscc,
    is_valid_vin,
    organization_code_check_character,
    vin_check_digit,
)
from leaseguard.registry.normalize import normalize_identifier, normalize_name, ocr_fold, single_edit
from leaseguard.store.db import create_store_engine, upgrade_schema

CONTRACT_COLUMNS = (
    "contract_no", "lessor", "lessee_id", "lessee_name", "lessee_type", "start_date", "term_months", "principal",
    "annual_rate", "method", "frequency",
)  # fmt: skip
GOOD = {
    "lessor": "ALPHA", "lessee_id": "91110000600037341L", "lessee_name": "甲物流有限公司",
    "lessee_type": "enterprise", "start_date": "2024-01-15", "term_months": "36", "principal": "360000.00",
    "annual_rate": "0.0685", "method": "annuity", "frequency": "monthly",
}  # fmt: skip
PAYMENT_COLUMNS = ("contract_no", "paid_date", "amount")
ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
NASTY = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "=1+1",
        "1e309",
        "-0",
        "9" * 40,
        "２０２４-０１-１５",
        "NaN",
        "\ufeff",
        '"',
        "\r\n",
        "0x10",
    ]
)

_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    store = create_store_engine(f"sqlite:///{tmp_path_factory.mktemp('props') / 'store.db'}")
    upgrade_schema(store)
    folder = tmp_path_factory.mktemp("props-lessors")
    (folder / "lessors.csv").write_text("code,name\nALPHA,Alpha Leasing\n", encoding="utf-8")
    assert import_paths(store, [folder / "lessors.csv"])[0].status == "loaded"
    return store


def _csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row[column] for column in columns])
    return out.getvalue().encode("utf-8")


def _count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql), params).scalar_one())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(column=st.sampled_from(CONTRACT_COLUMNS[1:]), value=st.one_of(ANY_TEXT, NASTY))
def test_any_text_in_any_contract_cell_is_a_row_error_or_a_stored_row(
    engine: Engine, tmp_path: Path, column: str, value: str
) -> None:
    batch = next(_numbers)
    good = [GOOD | {"contract_no": f"G{batch}-{n}"} for n in (1, 2)]
    odd = GOOD | {"contract_no": f"X{batch}", column: value}
    path = tmp_path / f"contracts_{batch}.csv"
    path.write_bytes(_csv(CONTRACT_COLUMNS, [good[0], odd, good[1]]))
    (report,) = import_paths(engine, [path])
    if report.status == "rejected":
        # Refused as a whole: only a NUL makes a text file binary. It says why and stores nothing.
        assert "\x00" in value and report.message_text("zh") and report.message_text("en")
        mine = "select count(*) from contracts where contract_no in (:a, :b, :x)"
        assert _count(engine, mine, a=f"G{batch}-1", b=f"G{batch}-2", x=f"X{batch}") == 0
        return
    assert report.status in ("loaded", "partial"), report.message
    assert report.rows_read == 3, (column, value)
    stored = _count(engine, "select count(*) from contracts where contract_no = :no", no=f"X{batch}")
    assert (report.rejected, stored) in ((0, 1), (1, 0)), (report.errors, stored)
    if report.rejected:
        (error,) = report.errors
        assert error.line == 3 and error.text("zh") and error.text("en")
    assert _count(engine, "select count(*) from contracts where contract_no like :p", p=f"G{batch}-%") == 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=60), column=st.sampled_from(PAYMENT_COLUMNS))
def test_any_bytes_in_a_payment_cell_never_raise(
    engine: Engine, tmp_path: Path, raw: bytes, column: str
) -> None:
    batch = next(_numbers)
    contracts = tmp_path / f"contracts_{batch}.csv"
    contracts.write_bytes(_csv(CONTRACT_COLUMNS, [GOOD | {"contract_no": f"P{batch}"}]))
    assert import_paths(engine, [contracts])[0].status == "loaded"
    good = {"contract_no": f"P{batch}", "paid_date": "2024-02-15", "amount": "100.00"}
    head = _csv(PAYMENT_COLUMNS, [good])
    cells = [good[name].encode() if name != column else raw for name in PAYMENT_COLUMNS]
    path = tmp_path / f"payments_{batch}.csv"
    path.write_bytes(head + b",".join(cells) + b"\n" + _csv(PAYMENT_COLUMNS, [good]).split(b"\n", 1)[1])
    before = _count(engine, "select count(*) from payments where contract_no = :no", no=f"P{batch}")
    (report,) = import_paths(engine, [path])
    after = _count(engine, "select count(*) from payments where contract_no = :no", no=f"P{batch}")
    if report.status in ("loaded", "partial"):
        assert report.rows_read >= 2 and after - before >= 1
        assert all(error.text("zh") for error in report.errors)
    else:
        # A file refused as a whole (not text, a broken quote) says why and stores nothing.
        assert report.message_text("zh") and report.message_text("en") and after == before


@given(ANY_TEXT)
def test_normalize_identifier_is_idempotent_and_keeps_only_digits_and_capitals(raw: str) -> None:
    once = normalize_identifier(raw)
    assert normalize_identifier(once) == once
    assert all(char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" for char in once)


@given(ANY_TEXT)
def test_ocr_fold_is_idempotent_and_never_longer(raw: str) -> None:
    folded = ocr_fold(normalize_identifier(raw))
    assert ocr_fold(folded) == folded
    assert len(folded) <= len(normalize_identifier(raw))


@given(ANY_TEXT)
def test_normalize_name_is_idempotent(raw: str) -> None:
    assert normalize_name(normalize_name(raw)) == normalize_name(raw)


@given(ANY_TEXT, ANY_TEXT)
def test_single_edit_takes_any_pair(first: str, second: str) -> None:
    one, other = normalize_identifier(first), normalize_identifier(second)
    edit = single_edit(one, other)
    assert (edit is not None and edit.kind == "identical") == (one == other)
    if edit is not None and edit.position is not None:
        assert 0 <= edit.position <= max(len(one), len(other))


@given(ANY_TEXT)
def test_identifier_checks_take_any_text(raw: str) -> None:
    for check in (
        is_valid_vin,
        is_valid_uscc,
        is_valid_resident_id,
        is_valid_lessee_id,
        is_valid_organization_code,
    ):
        assert check(raw) in (True, False)


VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q


@given(st.text(alphabet=VIN_CHARS, min_size=17, max_size=17))
def test_a_vin_with_its_check_digit_is_valid_and_a_wrong_one_is_not(vin: str) -> None:
    right = vin[:8] + vin_check_digit(vin) + vin[9:]
    assert is_valid_vin(right)
    wrong = next(digit for digit in "0123456789X" if digit != right[8])
    assert not is_valid_vin(right[:8] + wrong + right[9:])


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
def test_an_organization_code_with_its_check_character_is_valid(body: str) -> None:
    assert is_valid_organization_code(body + organization_code_check_character(body))
