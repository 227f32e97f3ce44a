"""Case folders that cannot overwrite one another, and a `cases generate` whose workers end with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.enforcement import casefiles
from leaseguard.enforcement.casefiles import CaseFilesError, folder_name, plan_folders, write_folder
from leaseguard.ingest import import_paths
from leaseguard.workspace import HOME_ENV, Workspace, init_workspace
from test_case_files import ASSETS, CONTRACT_HEADER, DAY, LESSEE_USCC, LESSOR_USCC, _contracts, _payments

LEASEGUARD = [sys.executable, "-m", "leaseguard.cli.main"]
LOOKALIKES = ["HT/2024/001", "HT:2024:001", "HT_2024_001", "ht_2024_001"]


def test_numbers_that_differ_get_different_folders_and_the_same_ones_each_time() -> None:
    names = [folder_name(no) for no in [*LOOKALIKES, "HT_2024_001.", "融资租赁合同〔2024〕第001号"]]
    assert len({name.casefold() for name in names}) == len(names)
    assert names == [folder_name(no) for no in [*LOOKALIKES, "HT_2024_001.", "融资租赁合同〔2024〕第001号"]]
    assert folder_name("HT-2024-001") == "HT-2024-001"  # a plain number is its own folder
    assert all("/" not in name and ":" not in name and not name.startswith(".") for name in names)


def test_a_batch_whose_folders_would_meet_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(set(plan_folders(LOOKALIKES).values())) == 4
    assert plan_folders(["K1", "K1"]) == {"K1": "K1"}  # one contract named twice is one folder
    # Should the naming ever lose a difference again, the batch stops before writing anything.
    monkeypatch.setattr(casefiles, "folder_name", lambda no: no.replace("/", "_").replace(":", "_"))
    with pytest.raises(CaseFilesError, match="会共用案件文件夹") as refused:
        plan_folders(LOOKALIKES)
    assert "would share the case folder 'HT_2024_001': nothing written" in refused.value.text("en")


def test_a_folder_of_another_contract_or_not_written_here_is_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "cases"
    write_folder(out, "K1", {"complaint.pdf": b"K1's"}, "K1")
    with pytest.raises(CaseFilesError, match="是另一份合同的案件，保持原样") as taken:
        write_folder(out, "K1", {"complaint.pdf": b"K9's"}, "K9")
    assert taken.value.text("en").endswith("holds another contract's case; left as it is")
    (out / "notes").mkdir()
    (out / "notes" / "lawyer.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(CaseFilesError, match="并非本工具写出的文件夹") as foreign:
        write_folder(out, "notes", {"complaint.pdf": b"x"}, "notes")
    assert "a folder this tool did not write" in foreign.value.text("en")
    assert (out / "K1" / "complaint.pdf").read_bytes() == b"K1's"
    assert (out / "notes" / "lawyer.txt").read_text(encoding="utf-8") == "keep me"


def _book(folder: Path, numbers: list[str]) -> list[Path]:
    """A book of K1's defaulted contract again under each of `numbers`, each with its own asset."""
    k1 = next(line for line in _contracts().splitlines() if line.startswith("K1,"))
    contracts = [CONTRACT_HEADER] + [f'"{no}"' + k1[2:] for no in numbers]
    asset_header, a1 = ASSETS.splitlines()[0], ASSETS.splitlines()[1]
    assets = [asset_header] + [
        f"A{n},L1,machinery,SN-{n:06d}" + a1[len("A1,L1,machinery,SN-2024-0001") : a1.rindex(",K1,")]
        + f',"{no}"' + a1[a1.rindex(",K1,") + 3 :]
        for n, no in enumerate(numbers)
    ]  # fmt: skip
    k1_payments = [line[2:] for line in _payments().splitlines() if line.startswith("K1,")]
    payments = ["contract_no,paid_date,amount"] + [f'"{no}"{rest}' for no in numbers for rest in k1_payments]
    files = {
        "lessors.csv": "code,name,uscc,address,legal_representative,phone\n"
        f"L1,上海示例融资租赁有限公司,{LESSOR_USCC},上海市浦东新区世纪大道100号,赵董事,021-55550000\n",
        "contracts.csv": "\n".join(contracts) + "\n",
        "assets.csv": "\n".join(assets) + "\n",
        "payments.csv": "\n".join(payments) + "\n",
        "notices.csv": "contract_no,lessor,kind,sent_on,delivered_on,method,deadline_days\n"
        + "".join(f'"{no}",L1,demand,2024-07-01,2024-07-03,ems,15\n' for no in numbers),
    }
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    assert LESSEE_USCC in files["contracts.csv"]
    return [folder / name for name in files]


def _workspace(tmp_path: Path, numbers: list[str]) -> Workspace:
    opened = init_workspace(tmp_path / "ws")
    engine = opened.engine()
    try:
        reports = import_paths(engine, _book(tmp_path / "book", numbers))
    finally:
        engine.dispose()
    assert all(r.rejected == 0 for r in reports), [str(e) for r in reports for e in r.errors]
    return opened


def test_lookalike_numbers_each_get_their_own_complaint_and_keep_it_on_a_rerun(tmp_path: Path) -> None:
    opened = _workspace(tmp_path, LOOKALIKES)
    out = tmp_path / "cases"
    arguments = ["cases", "generate", "--as-of", DAY.isoformat(), "--out", str(out), "--workers", "1"]
    arguments += [arg for no in LOOKALIKES for arg in ("--contract", no)]
    for _ in range(2):
        result = CliRunner().invoke(app, [*arguments, "-w", str(opened.root)], env={HOME_ENV: ""})
        assert result.exit_code == 0, result.output
        folders = sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
        assert len(folders) == 4
        written_for = {(folder / ".leaseguard-contract").read_text(encoding="utf-8") for folder in folders}
        assert written_for == set(LOOKALIKES)
        for folder in folders:
            number = (folder / ".leaseguard-contract").read_text(encoding="utf-8")
            assert folder.name == folder_name(number)
            assert f'"contract_no": "{number}"' in (folder / "claim.json").read_text(encoding="utf-8")
    # The second run deposited no fact again: one case-file record per case, as after one run.
    engine = opened.engine()
    try:
        with engine.connect() as connection:
            kinds = connection.execute(
                text("select kind, count(*) from evidence_records group by kind")
            ).all()
    finally:
        engine.dispose()
    assert dict(kinds)["case-file"] == 4


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def busy_workspace(tmp_path: Path) -> Workspace:
    return _workspace(tmp_path, [f"HT-{n:03d}" for n in range(60)])


def _start(opened: Workspace, out: Path) -> subprocess.Popen[str]:
    numbers = [f"HT-{n:03d}" for n in range(60)]
    arguments = ["cases", "generate", "--as-of", DAY.isoformat(), "--out", str(out), "--workers", "2"]
    arguments += [arg for no in numbers for arg in ("--contract", no)]
    return subprocess.Popen(
        [*LEASEGUARD, *arguments, "-w", str(opened.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, HOME_ENV: ""},
        start_new_session=True,  # a process group of its own, as a terminal gives a command: Ctrl+C reaches all
    )


def _wait_for_workers(process: subprocess.Popen[str]) -> set[int]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        workers = _children(process.pid)
        if len(workers) >= 2:
            return workers
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("no worker processes appeared")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_the_batch_is_killed(busy_workspace: Workspace, tmp_path: Path) -> None:
    process = _start(busy_workspace, tmp_path / "cases")
    workers = _wait_for_workers(process)
    process.kill()
    process.wait(10)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    ("stop", "code"),
    [
        (lambda process: process.send_signal(signal.SIGTERM), 143),
        # Ctrl+C in a terminal: SIGINT to every process of the command's group, the workers included.
        (lambda process: os.killpg(process.pid, signal.SIGINT), 130),
    ],
    ids=["sigterm", "ctrl-c"],
)
def test_a_stopped_batch_says_so_in_one_line_and_leaves_no_worker(
    busy_workspace: Workspace, tmp_path: Path, stop: Callable[[subprocess.Popen[str]], None], code: int
) -> None:
    process = _start(busy_workspace, tmp_path / "cases")
    workers = _wait_for_workers(process)
    stop(process)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr and "未完成即已停止" in stderr
    assert not any(_alive(pid) for pid in workers)
    finished = [p for p in (tmp_path / "cases").iterdir() if p.is_dir() and not p.name.startswith(".")]
    for folder in finished:  # every folder there is whole
        assert (folder / "complaint.pdf").is_file() and (folder / "claim.json").is_file()


@pytest.fixture
def stop_notes() -> Iterator[ModuleType]:
    """`cases generate`'s module with no stop noted, before the test and after it."""
    from leaseguard.cli import cases_commands

    cases_commands._STOP_REQUESTED.clear()
    yield cases_commands
    cases_commands._STOP_REQUESTED.clear()


def test_a_sigterm_that_lands_where_python_swallows_exceptions_still_stops_the_batch(
    stop_notes: ModuleType,
) -> None:
    """The handler only notes the signal: raised, it was lost when it landed in logging's at-fork hook while the
    pool forked a worker (Python printed the exception and the batch ran on to exit 0). The next progress step
    stops the batch with the signal's exit code."""
    stop_notes._stop_if_requested()  # nothing asked: the batch goes on
    stop_notes._stop(signal.SIGTERM, None)  # returns, wherever it lands
    with pytest.raises(stop_notes._Stopped) as stopped:
        stop_notes._stop_if_requested()
    assert stopped.value.code == 128 + signal.SIGTERM


def test_ctrl_c_stops_between_two_cases_and_pressed_again_at_once(stop_notes: ModuleType) -> None:
    stop_notes._stop(signal.SIGINT, None)  # noted only
    with pytest.raises(KeyboardInterrupt):
        stop_notes._stop(signal.SIGINT, None)
    with pytest.raises(stop_notes._Stopped) as stopped:
        stop_notes._stop_if_requested()
    assert stopped.value.code == 130


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks and reads /proc")
def test_a_forked_worker_leaves_ctrl_c_to_its_parent_and_ends_on_sigterm() -> None:
    """The pool ends a broken pool's workers with SIGTERM; a worker forked while the parent only notes SIGTERM
    (as `cases generate` does) must not inherit that and run on. Ctrl+C, which reaches the workers too, is the
    parent's to act on between two cases: a worker that died of it broke the pool."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: None)
    try:
        with ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("fork"), initializer=casefiles.end_with_parent,
            initargs=(os.getpid(),),
        ) as pool:  # fmt: skip
            worker = pool.submit(os.getpid).result(timeout=30)
            os.kill(worker, signal.SIGINT)  # Ctrl+C is the parent's to act on: the worker serves on
            assert pool.submit(os.getpid).result(timeout=30) == worker
            os.kill(worker, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while _alive(worker) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not _alive(worker)
    finally:
        signal.signal(signal.SIGTERM, previous)
