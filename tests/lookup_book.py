"""A small book of two lessors to look things up in (the console's /search, /contracts/{no}, /lessees/{id}):
contracts, assets, payments and valuations imported as files, two daily runs, a case with a step and a demand,
an asset check and a credit decision — each lessor with look-alike numbers, names and identifiers, so a
search or a page that leaked the other lessor's rows would show it.

The lessors ALPHA and BETA are expected in the store already (console_world.served_console adds them)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from leaseguard.classification.daily import run_days
from leaseguard.classification.rules import load_rule_set
from leaseguard.enforcement.records import record_notice
from leaseguard.enforcement.service import add_event, insert_case
from leaseguard.evidence import NoteSigner
from leaseguard.ingest import import_paths
from leaseguard.registry.check import AssetFacts
from leaseguard.store.db import session_factory
from leaseguard.store.models import CreditApplication
from leaseguard.usecases.asset_check import check_asset

PERSON = "110101199001011234"  # 张伟, a lessee of both lessors under the same resident ID
FIRM = "91310000MA1K00001X"  # 华东物流有限公司 at ALPHA; BETA has a firm of the same name under another code
BETA_FIRM = "91310000MA1K00009Y"
FLEET = "91440000MA5K000007"  # 华南运输有限公司: sixty small contracts, for the pages of a search
ALPHA_VIN, BETA_VIN = "LSVAU2A35MN201704", "LSVAU2A32MN201160"  # the same first eight characters
ALPHA_SERIAL, BETA_SERIAL = "ZLJ5550JQZ2208086", "ZLJ5550JQZ2208099"
ALPHA_INVOICE, BETA_INVOICE = "18320577", "18320599"
OVERDUE = "AL-2024-002"  # stops paying: special mention and worse, then a case
FLEET_CONTRACTS = 60
ODD = "ALX/2024#1?"  # a contract number with the characters a URL treats specially
ODD_LESSEE = "91110000MA00000011"
RUN_DAYS = (dt.date(2024, 9, 30), dt.date(2024, 12, 31))

_CONTRACT = (
    "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,annual_rate,method,"
    "frequency,residual_value,deposit\n"
)


def _contracts() -> str:
    rows = [
        f"AL-2024-001,ALPHA,{PERSON},张伟,individual,2024-01-15,24,120000.00,0.06,annuity,monthly,0.00,0.00",
        f"{OVERDUE},ALPHA,{FIRM},华东物流有限公司,enterprise,2024-02-01,36,900000.00,0.065,annuity,monthly,"
        "90000.00,50000.00",
        f"AL-2024-003,ALPHA,{FIRM},华东物流有限公司,enterprise,2024-03-01,12,60000.00,0.06,equal_principal,"
        "quarterly,0.00,0.00",
        *(
            f"AL-FLEET-{n:04d},ALPHA,{FLEET},华南运输有限公司,enterprise,2024-04-01,12,10000.00,0.06,annuity,"
            "monthly,0.00,0.00"
            for n in range(1, FLEET_CONTRACTS + 1)
        ),
        f"{ODD},ALPHA,{ODD_LESSEE},北辰设备有限公司,enterprise,2024-05-01,24,50000.00,0.06,annuity,monthly,0.00,0.00",
        f"BE-2024-001,BETA,{PERSON},张伟,individual,2024-01-15,24,880000.00,0.06,annuity,monthly,0.00,0.00",
        f"BE-2024-002,BETA,{BETA_FIRM},华东物流有限公司,enterprise,2024-01-15,24,770000.00,0.06,annuity,monthly,"
        "0.00,0.00",
    ]
    return _CONTRACT + "\n".join(rows) + "\n"


_ASSETS = (
    "asset_id,lessor,asset_type,vin,serial_no,manufacturer,model,invoice_no,invoice_code,invoice_amount,"
    "invoice_date,lessee_id,lessee_name,contract_no\n"
    f"A-CAR-1,ALPHA,vehicle,{ALPHA_VIN},,上汽大众,帕萨特 330TSI,{ALPHA_INVOICE},133012200201,150000.00,2024-01-10,"
    f"{PERSON},张伟,AL-2024-001\n"
    f"A-DIG-1,ALPHA,machinery,,{ALPHA_SERIAL},中联重科,ZE550E,28000001,5001221131,1000000.00,2024-01-20,{FIRM},"
    f"华东物流有限公司,{OVERDUE}\n"
    f"B-CAR-1,BETA,vehicle,{BETA_VIN},,上汽大众,帕萨特 330TSI,{BETA_INVOICE},133012200201,900000.00,2024-01-10,"
    f"{PERSON},张伟,BE-2024-001\n"
    f"B-DIG-1,BETA,machinery,,{BETA_SERIAL},中联重科,ZE550E,28000009,5001221131,800000.00,2024-01-10,{BETA_FIRM},"
    "华东物流有限公司,BE-2024-002\n"
)


def _payments() -> str:
    lines = ["contract_no,paid_date,amount"]
    # AL-2024-001: every instalment on time from February 2024 to February 2026: 25 payments, two pages.
    for k in range(25):
        month = 2 + k
        lines.append(f"AL-2024-001,{2024 + (month - 1) // 12}-{(month - 1) % 12 + 1:02d}-15,5318.47")
    lines.append(f"{OVERDUE},2024-03-01,25000.00")  # one part payment, then nothing
    lines.append("BE-2024-001,2024-02-15,38999.99")
    return "\n".join(lines) + "\n"


# AL-2024-003's rent as agreed, irregular: the page shows these lines, not ones computed from the terms.
_SCHEDULES = (
    "contract_no,number,due_date,principal,interest\n"
    "AL-2024-003,1,2024-06-01,10000.00,900.00\n"
    "AL-2024-003,2,2024-09-01,20000.00,750.00\n"
    "AL-2024-003,3,2025-03-01,30000.00,450.00\n"
)

_VALUATIONS = (
    "asset_id,lessor,valuation_date,disposal_value\n"
    "A-DIG-1,ALPHA,2024-06-30,700000.00\n"
    "A-DIG-1,ALPHA,2024-12-31,520000.00\n"
    "B-DIG-1,BETA,2024-12-31,610000.00\n"
)


def new_signer() -> NoteSigner:
    return NoteSigner("leaseguard.test/lookups", Ed25519PrivateKey.generate())


def seed_lookup_book(engine: Engine, folder: Path, signer: NoteSigner | None = None) -> NoteSigner:
    """Load the book into the store of `engine` (ALPHA and BETA registered), deposits signed with `signer` (by
    default a new one: give the console's when it deposits too); the evidence signer used."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "contracts.csv": _contracts(),
        "assets.csv": _ASSETS,
        "schedules.csv": _SCHEDULES,
        "payments.csv": _payments(),
        "valuations.csv": _VALUATIONS,
    }
    paths = []
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
        paths.append(folder / name)
    signer = signer or new_signer()
    results = import_paths(engine, paths, signer=signer)
    assert all(result.rejected == 0 for result in results), results
    run_days(engine, list(RUN_DAYS), load_rule_set("cbirc-2023"), signer=signer)
    with engine.begin() as connection:
        case_id = insert_case(connection, OVERDUE, "ALPHA", RUN_DAYS[-1], 88_000_000)
    add_event(engine, case_id, "filing", dt.date(2025, 1, 10), signer=signer, today=dt.date(2025, 1, 31))
    record_notice(
        engine, signer, contract_no=OVERDUE, lessor="ALPHA", sent_on=dt.date(2024, 12, 5),
        delivered_on=dt.date(2024, 12, 7), method="ems", deadline_days=15,
    )  # fmt: skip
    check_asset(
        engine,
        AssetFacts(
            lessor="ALPHA", asset_type="vehicle", vin=ALPHA_VIN, lessee_id=PERSON, contract_no="AL-2024-001"
        ),
        asked_by="ann",
        channel="console",
        signer=signer,
    )
    with session_factory(engine)() as session, session.begin():
        session.add(
            CreditApplication(
                lessor="ALPHA", applicant_id=PERSON, applied_on=dt.date(2024, 1, 5), application_id="APP-7",
                source="decision", decision="approve", score=688, model_version="scorecard-v1",
                created_at=dt.datetime(2024, 1, 5, 9, 0, tzinfo=dt.UTC),
            )
        )  # fmt: skip
    return signer
