"""The regulatory report as a compliance officer files it (issue 17): one filing writes every format asked for
(`--format html,xlsx,pdf`), each read back here — the workbook with openpyxl (numbers in yuan with their
formats, percentages, a Chinese header row over the machine names, frozen, no `_fen`), the PDF with pypdf
(embedded fonts, page numbers, ids never broken, nothing outside the page), the HTML as text (Chinese labels,
a CJK font stack, the lessor's legal name, the sign-off block)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import text
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.ingest import import_paths
from leaseguard.synth import generate_book
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, find_workspace, init_workspace

runner = CliRunner()
DAY = dt.date(2025, 6, 30)
LESSOR = "L001"


def build_workspace(root: Path, book: Path) -> Workspace:
    """A workspace with a two-lessor synthetic book imported, run on DAY, and L001's synthetic balance sheet
    in balance-sheets/DAY.yaml."""
    opened = init_workspace(root)
    engine = opened.engine()
    assert all(r.rejected == 0 for r in import_paths(engine, [book]))
    engine.dispose()
    run(opened, "run", "daily", "--as-of", DAY.isoformat())
    sheet = opened.root / "balance-sheets" / f"{DAY.isoformat()}.yaml"
    sheet.parent.mkdir(exist_ok=True)
    run(
        opened, "report", "balance-sheet", "--as-of", DAY.isoformat(), "--lessor", LESSOR, "--out", str(sheet)
    )
    return opened


def run(workspace: Workspace, *args: str) -> str:
    result = runner.invoke(app, [*args, "-w", str(workspace.root)])
    assert result.exit_code == 0, result.output
    return result.output


def refused(workspace: Workspace, *args: str) -> str:
    """The one line of a refused command (the terminal may wrap it)."""
    result = runner.invoke(app, [*args, "-w", str(workspace.root)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert len(re.split("错误：|error: ", result.output)) == 2
    return " ".join(result.output.split())


def stored(workspace: Workspace, query: str) -> list[tuple[Any, ...]]:
    engine = workspace.engine()
    with engine.connect() as connection:
        rows = [tuple(r) for r in connection.execute(text(query))]
    engine.dispose()
    return rows


@pytest.fixture(scope="module")
def template_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report-formats")
    generate_book(folder / "book", contracts=240, seed=31, lessors=2)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(HOME_ENV, raising=False)
        patch.delenv(DATABASE_URL_ENV, raising=False)
        build_workspace(folder / "ws", folder / "book")
    return folder / "ws"


@pytest.fixture
def workspace(template_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv(HOME_ENV, raising=False)
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    shutil.copytree(template_root, tmp_path / "ws")
    return find_workspace(tmp_path / "ws")


def legal_name(workspace: Workspace, code: str = LESSOR) -> str:
    ((name,),) = stored(workspace, f"select name from lessors where code = '{code}'")
    return str(name)


REGULATORY = ("report", "regulatory", "--as-of", DAY.isoformat(), "--lessor", LESSOR, "--rules", "nfra-2024")


def test_one_filing_writes_every_format_and_one_evidence_record(workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "filed" / "report"
    out.parent.mkdir()
    output = run(workspace, *REGULATORY, "--format", "html,xlsx,pdf", "--out", str(out))
    files = [tmp_path / "filed" / f"report.{fmt}" for fmt in ("html", "xlsx", "pdf")]
    assert all(f.is_file() for f in files)
    assert sorted(p.name for p in (tmp_path / "filed").iterdir()) == [
        "report.html",
        "report.pdf",
        "report.xlsx",
    ]
    ((report_id, alerts, evidence_index),) = stored(
        workspace, "select id, alerts, evidence_index from indicator_reports"
    )
    assert f"报告 {report_id} →" in output
    filings = stored(
        workspace, "select content, ref, leaf_index from evidence_records where kind = 'indicator-report'"
    )
    assert len(filings) == 1
    content, ref, index = filings[0]
    filing = json.loads(bytes(content))
    assert ref == f"indicator_report:{report_id}" and filing["report_id"] == report_id
    assert [(f["format"], f["name"]) for f in filing["files"]] == [(p.suffix[1:], p.name) for p in files]
    for entry, path in zip(filing["files"], files, strict=True):
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["bytes"] == path.stat().st_size
    alert_records = stored(
        workspace, "select leaf_index from evidence_records where kind = 'indicator-alert'"
    )
    assert len(alert_records) == alerts
    # The filing's batch: its alerts first, then the record of the filing.
    assert evidence_index == min([index, *(i for (i,) in alert_records)])


def _results(workspace: Workspace) -> dict[str, dict[str, Any]]:
    ((results,),) = stored(workspace, "select results from indicator_reports")
    data = json.loads(results) if isinstance(results, str) else results
    return {r["id"]: r for r in data}


def test_the_workbook_has_numbers_in_yuan_percentages_and_a_chinese_header(
    workspace: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "r.xlsx"
    run(workspace, *REGULATORY, "--format", "xlsx", "--out", str(out), "--prepared-by", "张三,2025-07-02",
        "--reviewed-by", "李四")  # fmt: skip
    filed = _results(workspace)
    workbook = load_workbook(out)
    assert len(workbook.worksheets) == 2
    name = legal_name(workspace)
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        machine = next(i for i, row in enumerate(rows) if row[0] in ("id", "indicator"))
        header, names = rows[machine - 1], rows[machine]
        assert all(re.search(r"[\u4e00-\u9fff]", str(label)) for label in header if label is not None)
        assert not any("_fen" in str(cell) for row in rows for cell in row if cell is not None)
        assert sheet.freeze_panes == f"A{machine + 2}"
        lessor_row = next(row for row in rows[:machine] if row[0] == "报送机构")
        assert lessor_row[1] == f"{name}（{LESSOR}）"
        for index, column in enumerate(names, start=1):
            if column is not None:
                width = sheet.column_dimensions[sheet.cell(1, index).column_letter].width
                assert width and width >= len(str(column)), column
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows())
    machine = next(i for i, row in enumerate(rows) if row[0].value == "id")
    columns = [c.value for c in rows[machine]]
    seen = set()
    for row in rows[machine + 1 :]:
        ident = row[0].value
        if ident not in filed:
            break
        seen.add(ident)
        cell = dict(zip(columns, row, strict=False))
        expected = filed[ident]
        for money in ("numerator", "denominator"):
            if expected[money] is not None:
                assert isinstance(cell[money].value, int | float) and cell[money].number_format == "#,##0.00"
                assert Decimal(str(cell[money].value)) == Decimal(str(expected[money])), (ident, money)
        if expected["value"] is not None:
            assert isinstance(cell["value"].value, int | float)
            assert abs(Decimal(str(cell["value"].value)) - Decimal(str(expected["value"]))) < Decimal("1e-6")
            wanted = "0.00%" if expected["unit"] == "ratio" else '0.00"×"'
            assert cell["value"].number_format == wanted, ident
        assert cell["status"].value in ("达标", "预警", "超限", "不设限额", "无法计算", "缺少数据")
    assert seen == set(filed)
    texts = [" ".join(str(c.value) for c in row if c.value is not None) for row in rows]
    assert any(t.startswith("编制") and "张三" in t and "2025-07-02" in t for t in texts)
    assert any(t.startswith("复核") and "李四" in t and "____" in t for t in texts)
    assert any(t.startswith("审批") and t.count("____") >= 2 for t in texts)
    contributors = workbook.worksheets[1]
    rows = list(contributors.iter_rows())
    machine = next(i for i, row in enumerate(rows) if row[0].value == "indicator")
    exposures = [row[6] for row in rows[machine + 1 :] if row[6].value is not None]
    expected_exposures = [c["exposure"] for r in filed.values() for c in r["top_contributors"]]
    assert [Decimal(str(c.value)) for c in exposures] == [Decimal(str(e)) for e in expected_exposures]
    assert all(c.number_format == "#,##0.00" for c in exposures)


def _fonts_of(reader: PdfReader) -> list[tuple[str, bool]]:
    """(base font, embedded) of every font every page uses."""
    found = []
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for reference in resources["/Font"].values():
            font = reference.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            found.append((str(font["/BaseFont"]), embedded))
    return found


def test_the_pdf_embeds_its_fonts_numbers_its_pages_and_keeps_ids_whole(
    workspace: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "r.pdf"
    run(workspace, *REGULATORY, "--format", "pdf", "--out", str(out), "--approved-by", "王五")
    data = out.read_bytes()
    assert b"STSong" not in data and b"/FontFile2" in data
    reader = PdfReader(out)
    fonts = _fonts_of(reader)
    assert fonts and all(embedded for _, embedded in fonts), fonts
    assert any("DroidSansFallback" in name for name, _ in fonts)
    pages = [page.extract_text() for page in reader.pages]
    count = len(pages)
    for number, page_text in enumerate(pages, start=1):
        assert f"第{number}页共{count}页" in re.sub(r"\s+", "", page_text)
    whole = "\n".join(pages)
    filed = _results(workspace)
    for ident, result in filed.items():
        assert re.search(rf"(^|\s){re.escape(ident)}(\s|$)", whole), ident  # never broken across lines
        for contributor in result["top_contributors"]:
            assert contributor["id"] in whole.split(), contributor["id"]
    flat = re.sub(r"\s+", "", whole)
    assert legal_name(workspace) in flat and f"（{LESSOR}）" in flat
    assert "编制" in flat and "复核" in flat and "审批" in flat and "王五" in flat
    assert "监管要求" in flat and "前五大风险暴露" in flat
    assert [text for page in reader.pages for text in _outside(page)] == []


def _outside(page: Any) -> list[tuple[str, float, float]]:
    """The text drawn outside the page."""
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    outside: list[tuple[str, float, float]] = []

    def visit(shown: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not shown.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if not (0 <= x <= width and 0 <= y <= height):
            outside.append((shown, x, y))

    page.extract_text(visitor_text=visit)
    return outside


def test_the_pdf_fits_long_ids_on_the_page(workspace: Workspace, tmp_path: Path) -> None:
    """Every line drawn ends inside the page: measured with the embedded font the text is set in."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from leaseguard.indicators.output import _LATIN, _pdf_fonts

    _pdf_fonts()
    out = tmp_path / "r.pdf"
    run(workspace, *REGULATORY, "--format", "pdf", "--out", str(out))
    overflow: list[str] = []
    width = 0.0

    def visit(shown: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not shown.strip() or not shown.isascii():
            return
        scale = tm[0] * cm[0]
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        if x + stringWidth(shown, _LATIN, size * scale) > width - 20:  # within the 10 mm margins, nearly
            overflow.append(shown)

    for page in PdfReader(out).pages:
        width = float(page.mediabox.width)
        page.extract_text(visitor_text=visit)
    assert overflow == []


def test_the_html_speaks_chinese_names_the_lessor_and_has_a_sign_off(
    workspace: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "r.html"
    run(workspace, *REGULATORY, "--out", str(out), "--prepared-by", "张三,2025-07-02")
    page = out.read_text("utf-8")
    for label in ("指标名称", "指标值", "监管要求", "距限额", "状态", "分子（元）", "前五大风险暴露", "签批"):
        assert label in page, label
    assert '"PingFang SC"' in page and '"Noto Sans CJK SC"' in page and '"Microsoft YaHei"' in page
    assert f"{legal_name(workspace)}（{LESSOR}）" in page
    assert "编制" in page and "张三" in page and "2025-07-02" in page and "复核" in page and "审批" in page
    assert "counter(page)" in page and "white-space: nowrap" in page
    assert "_fen" not in page and 'lang="zh-CN"' in page
    assert "资本充足率" in page and "Capital adequacy ratio" not in page
    from browser import seen_text

    shown = seen_text(out, "regulatory-report")  # what a compliance officer reads, rendered by chromium
    assert f"报送机构\t{legal_name(workspace)}（{LESSOR}）" in shown and "编制" in shown and "张三" in shown
    assert "资本充足率" in shown and "_fen" not in shown


def test_lang_en_writes_english_labels(workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    printed = run(workspace, *REGULATORY, "--out", str(out), "--lang", "en")
    assert "report 1 →" in " ".join(printed.split()) and "Headroom" in printed
    page = out.read_text("utf-8")
    assert "Indicator" in page and "Prepared by" in page and "Capital adequacy ratio" in page
    assert "指标名称" not in page and 'lang="en"' in page
    assert "--lang：语言 'fr' 不在可选范围内" in refused(
        workspace, *REGULATORY, "--out", str(out), "--lang", "fr"
    )


def test_a_file_is_what_its_name_says_and_nothing_is_filed_otherwise(
    workspace: Workspace, tmp_path: Path
) -> None:
    line = refused(workspace, *REGULATORY, "--format", "pdf", "--out", str(tmp_path / "r.xlsx"))
    assert "pdf 报告应写入 .pdf 文件" in line
    line = refused(
        workspace, *REGULATORY, "--format", "pdf", "--out", str(tmp_path / "r.xlsx"), "--lang", "en"
    )
    assert "a pdf report is written to a .pdf file" in line
    assert "--format 'docx'：请从 json, html, xlsx, pdf 中选一种" in refused(
        workspace, *REGULATORY, "--format", "html,docx"
    )
    # The PDF cannot be put in place (a folder has its name): the HTML written before it is removed again.
    (tmp_path / "r.pdf").mkdir()
    line = refused(workspace, *REGULATORY, "--format", "html,pdf", "--out", str(tmp_path / "r"))
    assert f"{tmp_path / 'r.pdf'}：无法写出报告" in line
    assert not (tmp_path / "r.html").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name != "ws"] == ["r.pdf"]
    assert stored(workspace, "select count(*) from indicator_reports") == [(0,)]
    assert stored(workspace, "select count(*) from evidence_records where kind like 'indicator-%'") == [(0,)]


def test_default_names_for_several_formats(workspace: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    run(workspace, *REGULATORY, "--format", "json,html", "--out", str(folder))
    stem = f"regulatory-nfra-2024-{LESSOR}-{DAY.isoformat()}"
    assert sorted(p.name for p in folder.iterdir()) == [f"{stem}.html", f"{stem}.json"]
    answer = json.loads((folder / f"{stem}.json").read_text("utf-8"))
    assert answer["lessor_name"] == legal_name(workspace) and answer["report_id"] == 1


def test_the_use_case_loads_without_the_edges() -> None:
    probe = (
        "import sys, leaseguard.usecases.regulatory_report\n"
        "print(sorted(m for m in sys.modules if m.startswith(('leaseguard.cli', 'leaseguard.api', "
        "'leaseguard.synth'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
