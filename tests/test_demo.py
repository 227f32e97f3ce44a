"""`leaseguard demo` from a clean folder: a working system with a book of leases, then served over HTTP."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import polars as pl

from leaseguard.indicators.rules import load_rule_set as load_indicator_rules

LEASEGUARD = [sys.executable, "-m", "leaseguard.cli.main"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_builds_a_workspace_and_serves_it_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("LEASEGUARD_DATABASE_URL", None)
    process = subprocess.Popen(
        [*LEASEGUARD, "demo", str(tmp_path / "ws"), "--contracts", "300", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    output = ""
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 120
        while "服务地址" not in output:  # the demo narrates in Chinese unless asked otherwise
            line = process.stdout.readline()
            assert line or process.poll() is None, output
            output += line
            assert time.monotonic() < deadline, output
        key = re.search(r"L001：(lg_\S+)", output)
        assert key, output
        classified = re.search(r"日终批处理 2026-10-31：([\d,]+) 份合同，([\d,]+) 份不良", output)
        assert classified and int(classified.group(1).replace(",", "")) == 300, output
        headers = {"Authorization": f"Bearer {key.group(1)}"}
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/v1/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        contracts = httpx.get(f"{base}/v1/contracts", headers=headers, timeout=10)
        # The console: the demo user signs in with the password the demo printed.
        person = re.search(r"控制台\s+\S+/login（用户 demo，密码 (\S+)，出租人 L001", output)
        assert person, output
        browser = httpx.Client(base_url=base, headers={"Accept": "text/html"}, timeout=10)
        form = browser.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text
        signed_in = browser.post(
            "/login", data={"username": "demo", "password": person.group(1), "csrf_token": token.group(1)}
        )
        assert signed_in.status_code == 303 and browser.get("/").status_code == 200
        # Demo assets bound to simulated terminals, their tracks reported through the gateway: the first one's
        # contract page shows where it is, and the API gives its last position.
        tracked = re.search(
            r"定位终端 3 项租赁物（([^、）]+)、[^）]+）.*共 72 个定位点.*控制台合同 (\S+) 页面", output
        )
        assert tracked, output
        asset_id, contract_no = tracked.groups()
        page = browser.get(f"/contracts/{contract_no}")
        assert page.status_code == 200 and "租赁物位置" in page.text and f"租赁物 {asset_id}" in page.text
        assert "<svg" in page.text and "最后位置：北纬" in page.text
        position = httpx.get(f"{base}/v1/assets/{asset_id}/position", headers=headers, timeout=10)
        assert position.status_code == 200, position.text
        (last,) = position.json()["items"]
        assert last["terminal_phone"] == "13900000001" and last["kind"] == "wired"
        assert contracts.status_code == 200
        items = contracts.json()["items"]
        assert items and {item["lessor"] for item in items} == {"L001"}
        truth = pl.read_csv(tmp_path / "ws" / "synth" / "ground_truth.csv", infer_schema=False)
        duplicate = truth.filter(pl.col("kind") == "duplicate_financing").row(0, named=True)
        check = httpx.post(
            f"{base}/v1/assets/check",
            headers=headers,
            json={"vin" if duplicate["field"] == "vin" else "serial_no": duplicate["original_value"]},
            timeout=30,
        )
        assert check.status_code == 200 and check.json()["verdict"] in ("review", "block")
        assert (tmp_path / "ws" / "matches.csv").exists()
        live = httpx.get(f"{base}/v1/indicators/nfra-2024", params={"as_of": "2026-10-31"}, headers=headers,
                         timeout=30)  # fmt: skip
        assert live.status_code == 200, live.text
        shipped = load_indicator_rules("nfra-2024").indicators
        assert [i["id"] for i in live.json()["indicators"]] == [i.spec.id for i in shipped]
        assert (tmp_path / "ws" / "regulatory-nfra-2024-L001-2026-10-31.html").exists()
    finally:
        process.terminate()
        process.wait(10)
    # The same demo again, in English and without serving: the book is read again and nothing changes.
    command = [*LEASEGUARD, "demo", str(tmp_path / "ws"), "--contracts", "300", "--no-serve", "--lang", "en"]
    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert second.returncode == 0, second.stdout + second.stderr
    payments = next(line for line in second.stdout.splitlines() if "payments.csv" in line and "│" in line)
    cells = [cell.strip() for cell in payments.split("│") if cell.strip()]
    # file, read, inserted, updated, unchanged, rejected
    assert cells[2] == "0" and cells[3] == "0" and cells[4] == cells[1]
    # --lang en: the narration in English
    assert (
        "3/4 import" in second.stdout and "unchanged" in second.stdout and "Where to look:" in second.stdout
    )
    assert re.search(
        r"daily run 2026-10-31: [\d,]+ contracts, [\d,]+ non-performing, provisions", second.stdout
    )
    # the terminals' tracks are there already: none reported again
    assert "72 positions (0 reported through the JT/T 808 gateway by this run)" in second.stdout
