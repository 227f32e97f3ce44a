"""/evidence, /evidence/records/{index} and /evidence/verify over real HTTP on a SQLite store with a tiny
evidence log (evidence_book): look-up by index and by reference at the user's lessor only, paged on the server;
another lessor's record is the 404 page; a downloaded bundle verifies with the standalone verifier and on the
page (有效), a tampered one is 无效 with the reason; bad input is a message beside the field, nothing kept."""

from __future__ import annotations

import html
import io
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from console_world import Console, alerts, csrf_of, served_console, signed_in
from evidence_book import ALPHA_CONTRACTS, EvidenceBook, make_signer, seed_evidence, tampered
from leaseguard.console.settings import ConsoleSettings
from leaseguard.evidence.verifier import verify_bundle

MAX_UPLOAD_MB = 1


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, EvidenceBook]]:
    folder = tmp_path_factory.mktemp("console-evidence")
    signer = make_signer()
    settings = ConsoleSettings(max_upload_mb=MAX_UPLOAD_MB)
    with served_console(folder, evidence_signer=signer, settings=settings) as served:
        yield served, seed_evidence(served.engine, signer)


@pytest.fixture(scope="module")
def console(world: tuple[Console, EvidenceBook]) -> Console:
    return world[0]


@pytest.fixture(scope="module")
def book(world: tuple[Console, EvidenceBook]) -> EvidenceBook:
    return world[1]


@pytest.fixture(scope="module")
def ann(console: Console) -> Iterator[httpx.Client]:
    client = signed_in(console, "ann")
    yield client
    client.close()


def text_of(page: httpx.Response) -> str:
    main = page.text.split('<main id="main"', 1)[-1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def record_links(page: httpx.Response) -> list[int]:
    return [int(found) for found in re.findall(r'href="/evidence/records/(\d+)"', page.text)]


def field_error(page: httpx.Response, name: str) -> str:
    found = re.search(rf'id="f-{name}-error"[^>]*>([^<]*)</p>', page.text)
    return html.unescape(found.group(1)) if found else ""


def upload(client: httpx.Client, name: str, data: bytes, *, csrf: str | None = None) -> httpx.Response:
    token = csrf if csrf is not None else csrf_of(client.get("/evidence/verify"))
    return client.post(
        "/evidence/verify", data={"csrf_token": token}, files={"file": (name, data, "application/zip")}
    )


def test_the_page_shows_the_latest_checkpoint_and_the_lessors_newest_records_a_page_at_a_time(
    ann: httpx.Client, book: EvidenceBook
) -> None:
    page = ann.get("/evidence")
    assert page.status_code == 200
    words = text_of(page)
    total = len(ALPHA_CONTRACTS) + 1 + len(book.check_indexes) + 1
    assert f"树大小（记录数） {total}" in words
    assert book.signer.verifier.key_id.hex() in words
    first = record_links(page)
    assert first == sorted(first, reverse=True) and len(first) == 20
    assert first[0] == book.text_index
    assert book.beta_index not in first
    older = re.search(r'href="(/evidence\?before=\d+)#recent"', page.text)
    assert older, "a link to older records"
    rest = record_links(ann.get(older.group(1)))
    alpha = sorted([*book.contract_index.values(), *book.check_indexes, book.text_index], reverse=True)
    assert first + rest == alpha  # every ALPHA record once, newest first, never BETA's


def test_an_index_opens_its_record_and_a_reference_lists_the_records_it_starts(
    ann: httpx.Client, book: EvidenceBook
) -> None:
    index = book.contract_index["AL-2024-007"]
    answer = ann.get("/evidence", params={"q": str(index)})
    assert answer.status_code == 303 and answer.headers["location"] == f"/evidence/records/{index}"
    listed = ann.get("/evidence", params={"q": "contract:AL-2024-01"})
    assert listed.status_code == 200
    assert record_links(listed) == [book.contract_index[f"AL-2024-{n:03d}"] for n in range(10, 20)]
    bare = ann.get("/evidence", params={"q": "A-9"})  # a bare id: contract:A-9… or asset:A-9…
    assert record_links(bare) == [book.text_index]
    every = ann.get("/evidence", params={"q": "contract:"})
    seen = record_links(every)
    following = re.search(r'href="(/evidence\?q=[^"#]*after=[^"#]*)#found"', every.text)
    assert following and len(seen) == 20
    seen += record_links(ann.get(html.unescape(following.group(1))))
    assert seen == [book.contract_index[no] for no in ALPHA_CONTRACTS]  # BETA's contract:BE… is never listed


def test_bad_look_ups_say_why_beside_the_box(ann: httpx.Client, book: EvidenceBook) -> None:
    for text, status, message in (
        ("  ", 422, "请输入记录编号或引用。"),
        ("x" * 201, 422, "最多 200 个字符。"),
        ("9" * 30, 422, "记录编号过大。"),
        (str(book.beta_index), 404, f"本出租人没有证据记录 {book.beta_index}。"),
        ("contract:BE-2024", 200, "本出租人没有引用以 contract:BE-2024 开头的证据记录。"),
    ):
        page = ann.get("/evidence", params={"q": text})
        assert page.status_code == status, text
        assert field_error(page, "q") == message, text
        assert 'aria-invalid="true"' in page.text
    assert "BETA-ONLY" not in ann.get("/evidence", params={"q": "contract:BE-2024"}).text


def test_a_record_shows_its_payload_and_inclusion_and_another_lessors_is_404(
    ann: httpx.Client, book: EvidenceBook
) -> None:
    index = book.contract_index["AL-2024-003"]
    page = ann.get(f"/evidence/records/{index}")
    assert page.status_code == 200
    words = text_of(page)
    assert "立案（债权金额）" in words and "contract:AL-2024-003" in words
    assert "claim.principal_fen 1000002" in words and "lessee 华东物流有限公司" in words
    assert "已包含" in words and "producer leaseguard tests" in words
    assert f'href="/evidence/records/{index}/bundle"' in page.text
    text = text_of(ann.get(f"/evidence/records/{book.text_index}"))
    assert "内容不是 JSON 对象（text/plain，18 字节）" in text
    for foreign in (f"/evidence/records/{book.beta_index}", f"/evidence/records/{book.beta_index}/bundle",
                    "/evidence/records/999999"):  # fmt: skip
        missing = ann.get(foreign)
        assert missing.status_code == 404, foreign
        assert "BETA-ONLY" not in missing.text and "<h1>" in missing.text
    assert ann.get("/evidence/records/-1").status_code == 422


def test_a_downloaded_bundle_verifies_with_the_standalone_verifier_and_on_the_page(
    ann: httpx.Client, book: EvidenceBook, tmp_path: Path
) -> None:
    index = book.contract_index["AL-2024-005"]
    download = ann.get(f"/evidence/records/{index}/bundle")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert f'filename="evidence-{index}.zip"' in download.headers["content-disposition"]
    verdict = verify_bundle(download.content, trusted_key=book.signer.verifier)
    assert verdict.ok, verdict.problem_texts()
    assert [record.index for record in verdict.records] == [index]
    # The verifier shipped inside the bundle, run on its own as a court's expert would.
    path = tmp_path / "bundle.zip"
    path.write_bytes(download.content)
    script = tmp_path / "verify_evidence.py"
    script.write_bytes(zipfile.ZipFile(io.BytesIO(download.content)).read("verify_evidence.py"))
    run = subprocess.run(
        [sys.executable, str(script), str(path)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0 and run.stdout.startswith("有效"), run.stdout

    page = upload(ann, "bundle.zip", download.content)
    assert page.status_code == 200, alerts(page)
    words = text_of(page)
    assert "结论： 有效" in words and "无效" not in words
    assert f"{index} 通过 立案（债权金额） ALPHA contract:AL-2024-005" in words


def test_a_tampered_bundle_is_invalid_with_the_reason(ann: httpx.Client, book: EvidenceBook) -> None:
    index = book.contract_index["AL-2024-001"]
    altered = tampered(ann.get(f"/evidence/records/{index}/bundle").content)
    assert not verify_bundle(altered, trusted_key=book.signer.verifier).ok
    page = upload(ann, "altered.zip", altered)
    assert page.status_code == 200
    words = text_of(page)
    assert "结论： 无效" in words
    assert f"记录 {index}：其内容与条目中的 SHA-256 不符：内容已被改动" in words


def test_a_bundle_of_another_log_is_invalid(ann: httpx.Client, book: EvidenceBook, tmp_path: Path) -> None:
    other = make_signer()  # the same origin, another key: an impostor's log
    with served_console(tmp_path, evidence_signer=other) as elsewhere:
        theirs = seed_evidence(elsewhere.engine, other)
        client = signed_in(elsewhere, "ann")
        bundle = client.get(f"/evidence/records/{theirs.text_index}/bundle").content
        client.close()
    words = text_of(upload(ann, "impostor.zip", bundle))
    assert "结论： 无效" in words and "检查点无效" in words


def test_bad_uploads_say_why_beside_the_field(ann: httpx.Client) -> None:
    for name, data, status, message in (
        ("notes.txt", b"PK\x03\x04", 422, "notes.txt 不是 .zip 文件：请上传从证据日志导出的证据包。"),
        (
            "broken.zip",
            b"this is not a zip",
            422,
            "broken.zip 不是 zip 文件：请上传从证据日志导出的证据包（.zip）。",
        ),
        ("big.zip", b"0" * (MAX_UPLOAD_MB * 1024 * 1024 + 1), 413, "文件超过上限 1 MB"),
        ("", b"", 422, "请选择要验证的证据包（.zip）。"),
    ):
        page = upload(ann, name, data)
        assert page.status_code == status, name
        assert field_error(page, "file").startswith(message), (name, field_error(page, "file"))
        assert 'id="verdict"' not in page.text
    empty_zip = io.BytesIO()
    zipfile.ZipFile(empty_zip, "w").close()
    words = text_of(upload(ann, "empty.zip", empty_zip.getvalue()))
    assert "结论： 无效" in words and "证据包中缺少 bundle.json" in words
    refused = upload(ann, "bundle.zip", b"PK", csrf="forged")
    assert refused.status_code == 403


def test_every_role_may_look_up_and_verify_and_nobody_signed_out(
    console: Console, book: EvidenceBook
) -> None:
    index = book.contract_index["AL-2024-002"]
    for name in ("ann", "cai", "lee", "ada"):
        client = signed_in(console, name)
        home = client.get("/evidence")
        assert home.status_code == 200, name
        assert '<a href="/evidence" aria-current="page">证据</a>' in home.text, name
        assert client.get(f"/evidence/records/{index}").status_code == 200, name
        assert client.get("/evidence/verify").status_code == 200, name
        client.close()
    anonymous = console.browser()
    for path in (
        "/evidence",
        f"/evidence/records/{index}",
        f"/evidence/records/{index}/bundle",
        "/evidence/verify",
    ):
        answer = anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), path
    anonymous.close()


def test_english_when_the_user_reads_english(console: Console, book: EvidenceBook) -> None:
    client = signed_in(console, "lee")
    page = client.get("/evidence")
    client.post("/lang", data={"csrf_token": csrf_of(page), "lang": "en", "next": "/evidence"})
    try:
        index = book.contract_index["AL-2024-004"]
        bundle = client.get(f"/evidence/records/{index}/bundle").content
        assert "Verdict: Valid" in text_of(upload(client, "b.zip", bundle))
        words = text_of(upload(client, "t.zip", tampered(bundle)))
        assert "Verdict: Invalid" in words
        assert "its content does not match the SHA-256 in its entry: the content was altered" in words
        assert (
            field_error(client.get("/evidence", params={"q": " "}), "q")
            == "Enter a record index or a reference."
        )
    finally:
        client.post("/lang", data={"csrf_token": csrf_of(page), "lang": "zh", "next": "/"})
        client.close()
