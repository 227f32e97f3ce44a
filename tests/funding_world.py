"""A funding file with its ground truth, for the console's asset pages: leaseguard.synth's trucks of one line
(the fleet of tests/test_screen_findings.py) for one lessee of ALPHA, of which truck #FORGED was registered
again at BETA by a forger (its VIN as a scanner misreads it, another lessee and invoice), and the last one's VIN
carries a wrong check digit. Screened for ALPHA: the forged truck is blocked, the typo reviewed, the rest of
the fleet clear (a fleet is no set of duplicates). Also: more users of ALPHA, a signer for the evidence log."""

from __future__ import annotations

import csv
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from console_world import PASSWORD
from leaseguard.evidence import NoteSigner
from leaseguard.store.db import session_factory
from leaseguard.usecases import people
from test_screen_findings import FILE_COLUMNS, FLEET_SIZE, FORGED, fleet_rows, forged_copy, store_asset

FORGED_ID = f"T{FORGED:02d}"
TYPO_ID = f"T{FLEET_SIZE + 1:02d}"
FORGER_LESSEE = "乙运输有限公司"
FORGER_ASSET = "B-0091"


def alpha_fleet() -> list[dict[str, str]]:
    """The fleet as ALPHA's funding file lists it: FLEET_SIZE + 1 trucks, the last with a VIN typo."""
    return [{**row, "lessor": "ALPHA"} for row in fleet_rows()]


def ground_truth() -> dict[str, tuple[str, str]]:
    """asset id → (verdict, reason codes) the screen must give each truck of the fleet."""
    truth = {row["asset_id"]: ("clear", "") for row in alpha_fleet()}
    truth[FORGED_ID] = ("block", "vin_exact")
    truth[TYPO_ID] = ("review", "vin_invalid")
    return truth


def register_forgery(engine: Engine) -> dict[str, str]:
    """BETA's registration of truck #FORGED by a forger; the truck as ALPHA's file has it."""
    truck = alpha_fleet()[FORGED - 1]
    with session_factory(engine)() as session, session.begin():
        session.add(store_asset(truck, **{**forged_copy(truck), "lessor": "BETA", "asset_id": FORGER_ASSET,
                                          "lessee_name": FORGER_LESSEE}))  # fmt: skip
    return truck


def funding_file(path: Path, *, bad_row: bool = True) -> Path:
    """ALPHA's funding file as CSV; with `bad_row`, one more row that breaks the data contract (asset type
    "spaceship" on its line 3 + FLEET_SIZE)."""
    rows = alpha_fleet()
    if bad_row:
        rows.append({**rows[0], "asset_id": "X01", "asset_type": "spaceship", "vin": "", "engine_no": "",
                     "invoice_no": "40999999"})  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FILE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def bad_row_line() -> int:
    """The file line of funding_file's bad row (the header is line 1)."""
    return len(alpha_fleet()) + 2


def add_users(engine: Engine, *users: tuple[str, str, str]) -> None:
    """More users (name, lessor, role), with the world's PASSWORD."""
    with session_factory(engine)() as session, session.begin():
        for name, lessor, role in users:
            people.create_user(
                session,
                username=name,
                lessor=lessor,
                role=role,
                password=PASSWORD,
                policy=people.PeoplePolicy(),
            )


def log_signer() -> NoteSigner:
    return NoteSigner("leaseguard.test/console-assets", Ed25519PrivateKey.generate())
