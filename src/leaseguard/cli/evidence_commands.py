"""`leaseguard evidence …`: append to the evidence log, publish checkpoints, export and verify bundles, audit."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table

from leaseguard.cli.common import (
    LangOption,
    WorkspaceOption,
    chosen_lang,
    console,
    error_console,
    fail,
    open_workspace,
    say,
    speaking_lang,
)
from leaseguard.vocabulary import Label

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from leaseguard.evidence import service
    from leaseguard.evidence.verifier import VerifierKey
    from leaseguard.workspace import Workspace


evidence_app = typer.Typer(
    help="The evidence log: append records, publish signed checkpoints, export, verify and audit.",
    no_args_is_help=True,
)

Result = TypeVar("Result")

LessorOption = Annotated[str, typer.Option(help="Code of the lessor (tenant) the records belong to.")]
ProducerOption = Annotated[
    str, typer.Option(help="Who produced the record (a person, a key, a service) — its provenance.")
]
SystemOption = Annotated[str, typer.Option(help="Which system produced it, e.g. 'core-lease 4.2'.")]
KindOption = Annotated[str, typer.Option(help="What the record is, e.g. contract, notice, asset-check.")]
RefOption = Annotated[str | None, typer.Option(help="Your reference for the record, e.g. a contract number.")]
TenantFilter = Annotated[
    str | None,
    typer.Option(help="Act as this lessor: records of other lessors are refused as if missing."),
]


@contextmanager
def _store(workspace: Workspace) -> Iterator[Engine]:
    from sqlalchemy.exc import SQLAlchemyError

    from leaseguard.evidence import service

    engine = workspace.engine()
    try:
        yield engine
    except service.EvidenceError as error:
        fail(error)
    except SQLAlchemyError as error:
        fail(
            Label(
                "无法使用数据库（{error}）；是否已迁移？请试试 `leaseguard migrate`",
                "the store could not be used ({error}); is it migrated? try `leaseguard migrate`",
            ),
            error=type(error).__name__,
        )
    finally:
        engine.dispose()


def _run(workspace: WorkspaceOption, lang: str | None, work: Callable[[Workspace, Engine], Result]) -> Result:
    opened = open_workspace(workspace)
    chosen_lang(lang, opened)
    with _store(opened) as engine:
        return work(opened, engine)


def _settings(workspace: Workspace) -> service.LogSettings:
    from leaseguard.evidence import service
    from leaseguard.workspace import WorkspaceError

    try:
        return service.log_settings(workspace)
    except (service.EvidenceError, WorkspaceError) as error:
        fail(error)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@evidence_app.command("append")
def append(
    files: Annotated[list[Path], typer.Argument(help="Files to deposit, all in one batch.")],
    lessor: LessorOption,
    producer: ProducerOption,
    system: SystemOption,
    kind: KindOption = "document",
    ref: RefOption = None,
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """Append files to the evidence log as one batch (all or none) and publish a checkpoint."""
    import mimetypes

    from leaseguard.evidence import service
    from leaseguard.evidence.models import AppendedBatch, NewRecord, Provenance, format_time

    chosen_lang(lang)  # until the workspace is open, a failure is said in the language asked for
    records = []
    for path in files:
        try:
            content = path.read_bytes()
        except OSError as error:
            fail(_CANNOT_READ, path=path, why=error.strerror or error)
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        provenance = Provenance(producer=producer, system=system)
        records.append(
            NewRecord(content, provenance, kind=kind, media_type=media_type, ref=ref, name=path.name)
        )

    def work(opened: Workspace, engine: Engine) -> AppendedBatch:
        settings = _settings(opened)
        return service.append_records(
            engine, records, lessor=lessor, signer=settings.signer, max_record_bytes=settings.max_record_bytes
        )

    batch = _run(workspace, lang, work)
    chosen = speaking_lang()
    table = Table(*(header.text(chosen) for header in APPENDED_HEADERS))
    for path, receipt in zip(files, batch.receipts, strict=True):
        table.add_row(str(receipt.index), path.name, format_time(receipt.timestamp), _b64(receipt.leaf_hash))
    console.print(table)
    say(
        Label("已发布检查点，树大小 {size}", "checkpoint published at tree size {size}"),
        size=batch.checkpoint.size,
    )


_CANNOT_READ = Label("{path}：无法读取（{why}）", "{path}: cannot read it ({why})")
APPENDED_HEADERS = (
    Label("索引", "index"),
    Label("文件", "file"),
    Label("追加时间（UTC）", "appended (UTC)"),
    Label("叶哈希（base64）", "leaf hash (base64)"),
)


@evidence_app.command("event")
def event(
    payload: Annotated[str, typer.Argument(help="The event as a JSON object.")],
    lessor: LessorOption,
    kind: KindOption,
    producer: ProducerOption,
    system: SystemOption,
    ref: RefOption = None,
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """Append one JSON event (stored as canonical JSON) and publish a checkpoint."""
    from leaseguard.evidence import service
    from leaseguard.evidence.models import Provenance, Receipt, format_time

    chosen_lang(lang)
    try:
        parsed = json.loads(payload)
    except json.JSONDecodeError as error:
        fail(Label("事件不是 JSON：{error}", "the event is not JSON: {error}"), error=error)
    if not isinstance(parsed, dict):
        fail(Label("事件应为 JSON 对象", "the event must be a JSON object"))

    def work(opened: Workspace, engine: Engine) -> Receipt:
        settings = _settings(opened)
        return service.append_event(
            engine,
            parsed,
            lessor=lessor,
            kind=kind,
            provenance=Provenance(producer=producer, system=system),
            signer=settings.signer,
            ref=ref,
            max_record_bytes=settings.max_record_bytes,
        )

    receipt = _run(workspace, lang, work)
    say(
        Label(
            "记录 {index} 已于 {time} 追加，叶哈希 {leaf}", "record {index} appended {time}, leaf hash {leaf}"
        ),
        index=receipt.index,
        time=format_time(receipt.timestamp),
        leaf=_b64(receipt.leaf_hash),
    )


@evidence_app.command("checkpoint")
def checkpoint(
    out: Annotated[Path | None, typer.Option(help="Also write the signed checkpoint to this file.")] = None,
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """Publish a signed checkpoint of the log as it is now, and print it (a C2SP signed note)."""
    from leaseguard.evidence import service

    signed = _run(
        workspace, lang, lambda opened, engine: service.publish_checkpoint(engine, _settings(opened).signer)
    )
    if out is not None:
        try:
            out.write_text(signed.note, encoding="utf-8")
        except OSError as error:
            fail(_CANNOT_WRITE, path=out, why=error.strerror or error)
    typer.echo(signed.note, nl=False)


_CANNOT_WRITE = Label("{path}：无法写入（{why}）", "{path}: cannot write it ({why})")


@evidence_app.command("show")
def show(
    index: Annotated[int, typer.Argument(help="Index of the record in the log.", min=0)],
    lessor: TenantFilter = None,
    content_out: Annotated[Path | None, typer.Option(help="Write the record's content to this file.")] = None,
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """Show a record's entry (what was hashed), its leaf hash and its inclusion proof."""
    from leaseguard.evidence import service
    from leaseguard.evidence.models import InclusionProof, StoredRecord

    def work(_opened: Workspace, engine: Engine) -> tuple[StoredRecord, InclusionProof]:
        record = service.get_record(engine, index, lessor=lessor)
        return record, service.inclusion_proof(engine, index)

    record, proof = _run(workspace, lang, work)
    if content_out is not None:
        try:
            content_out.write_bytes(record.content or b"")
        except OSError as error:
            fail(_CANNOT_WRITE, path=content_out, why=error.strerror or error)
    typer.echo(json.dumps(dict(record.fields), indent=2, ensure_ascii=False))
    say(Label("叶哈希    {leaf}", "leaf hash  {leaf}"), leaf=_b64(record.leaf_hash))
    say(
        Label("包含证明  {count} 个哈希，树大小 {size}", "proof      {count} hashes, tree size {size}"),
        count=len(proof.path),
        size=proof.tree_size,
    )
    for node in proof.path:
        console.print(f"  {_b64(node)}")


@evidence_app.command("export")
def export(
    records: Annotated[list[int], typer.Argument(help="Indexes of the records to export.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The bundle to write (.zip).")],
    lessor: TenantFilter = None,
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """Export records with their inclusion proofs, the signed checkpoint and the public key as a zip."""
    from leaseguard.evidence import bundle

    data = _run(
        workspace,
        lang,
        lambda _opened, engine: bundle.export_bundle(engine, records, lessor=lessor, bundle_name=out.name),
    )
    try:
        out.write_bytes(data)
    except OSError as error:
        fail(_CANNOT_WRITE, path=out, why=error.strerror or error)
    say(
        Label(
            "已写入 {out}：{count} 条记录；可用 `leaseguard evidence verify {out}` 验证",
            "wrote {out}: {count} record(s); verify with `leaseguard evidence verify {out}`",
        ),
        out=out,
        count=len(set(records)),
    )


def _read_key(path: Path) -> VerifierKey | bytes:
    from leaseguard.evidence.verifier import NoteError, parse_vkey, public_key_from_pem

    try:
        raw = path.read_bytes()
        if b"-----BEGIN" in raw:
            return public_key_from_pem(raw)
        return parse_vkey(raw.decode("utf-8"))
    except (OSError, NoteError, UnicodeDecodeError) as error:
        fail(
            Label("{path}：不是可用的公钥（{why}）", "{path}: not a usable public key ({why})"),
            path=path,
            why=_why(error),
        )


def _why(error: Exception) -> Label | str:
    """An error's reason in the run's language: the verifier's in its own words, the system's as it says it."""
    from leaseguard.evidence.models import in_both
    from leaseguard.evidence.verifier import VerifierError

    if isinstance(error, VerifierError):
        return in_both(error)
    return str(getattr(error, "strerror", None) or error)


_TRUSTED_KEY = Label("受信任的密钥：{path}", "trusted key: {path}")


def _workspace_key(workspace: Path | None, lang: str | None) -> tuple[VerifierKey | bytes | None, Label]:
    """The workspace's public key, if a workspace is at hand, and where the key comes from; verification never
    needs the store. The run speaks the workspace's language when --lang does not say."""
    from leaseguard.workspace import WorkspaceError, find_workspace

    try:
        opened = find_workspace(workspace)
    except WorkspaceError as error:
        chosen_lang(lang)
        if workspace is not None:
            fail(error)
        return None, Label(
            "未找到工作区：使用证据包自带的密钥", "no workspace found: the bundle's own key is used"
        )
    chosen_lang(lang, opened)
    try:
        path = opened.path("keys", "evidence_public_key")
    except WorkspaceError as error:
        fail(error)
    if not path.exists():
        missing = Label(
            "{path} 不存在：使用证据包自带的密钥", "{path} is missing: the bundle's own key is used"
        )
        return None, missing.filled(path=path)
    return _read_key(path), _TRUSTED_KEY.filled(path=path)


@evidence_app.command("verify")
def verify(
    bundle_path: Annotated[Path, typer.Argument(metavar="BUNDLE", help="The bundle (.zip) to verify.")],
    key: Annotated[
        Path | None,
        typer.Option(help="The log's public key (PEM or verifier key). Default: the workspace's, if any."),
    ] = None,
    previous: Annotated[
        Path | None, typer.Option(help="A checkpoint seen earlier: the tree must not have shrunk or forked.")
    ] = None,
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """Verify a bundle offline: VALID, or exactly what is wrong (exit 1). Never touches the store."""
    from rich.markup import escape

    from leaseguard.evidence import bundle
    from leaseguard.evidence.verifier import (
        NoteError,
        VerifierKey,
        describe,
        keys_for_public_key,
        verify_checkpoint,
    )

    trusted: VerifierKey | bytes | None
    if key:
        chosen_lang(lang)
        trusted, source = _read_key(key), _TRUSTED_KEY.filled(path=key)
    else:
        trusted, source = _workspace_key(workspace, lang)
    chosen = speaking_lang()
    earlier = None
    if previous is not None:
        if trusted is None:
            fail(
                Label(
                    "--previous 需要受信任的密钥（--key 或工作区的密钥）来核验之前的检查点",
                    "--previous needs a trusted key (--key or a workspace) to check the earlier checkpoint",
                )
            )
        try:
            note = previous.read_text(encoding="utf-8")
            keys = [trusted] if isinstance(trusted, VerifierKey) else keys_for_public_key(note, trusted)
            earlier, _ = verify_checkpoint(note, keys)
        except (OSError, UnicodeDecodeError, NoteError) as error:
            fail(
                Label(
                    "{path}：不是此日志的有效检查点（{why}）",
                    "{path}: not a valid checkpoint of this log ({why})",
                ),
                path=previous,
                why=_why(error),
            )
    verdict = bundle.verify_bundle(bundle_path, trusted_key=trusted, previous=earlier)
    lines = describe(verdict, chosen)
    style = "bold green" if verdict.ok else "bold red"
    console.print(f"[{style}]{escape(lines[0])}[/]  {escape(str(bundle_path))}", highlight=False)
    error_console.print(source.text(chosen), style="dim", highlight=False, markup=False)
    for line in lines[1:]:
        console.print(line, highlight=False, soft_wrap=True, markup=False)
    if not verdict.ok:
        raise typer.Exit(1)


@evidence_app.command("verifier")
def verifier_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the standalone verifier script.")] = Path(
        "verify_evidence.py"
    ),
    lang: LangOption = None,
) -> None:
    """Write the standalone verifier (Python 3 and `cryptography` only), the one every bundle ships, to check
    bundles where leaseguard is not installed. The build writes tools/verify_evidence.py with it."""
    from leaseguard.evidence.bundle import VERIFIER_SOURCE

    chosen_lang(lang)
    try:
        out.write_bytes(VERIFIER_SOURCE.read_bytes())
    except OSError as error:
        fail(_CANNOT_WRITE, path=out, why=error.strerror)
    say(
        Label(
            "已写入 {out}：python {name} 证据包.zip --key <日志的公钥>（英文输出加 --lang en）",
            "wrote {out}: python {name} BUNDLE.zip --key <the log's public key> (--lang en for English)",
        ),
        out=out,
        name=out.name,
    )


@evidence_app.command("audit")
def audit_command(
    old_checkpoint: Annotated[
        Path,
        typer.Argument(metavar="OLD_CHECKPOINT", help="A checkpoint published earlier (signed note file)."),
    ],
    key: Annotated[
        Path | None, typer.Option(help="The log's public key to check the old checkpoint with.")
    ] = None,
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """Prove that the log today extends an older checkpoint (RFC 9162 consistency proof). Reads only."""
    from leaseguard.evidence import service

    chosen_lang(lang)
    try:
        note = old_checkpoint.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(_CANNOT_READ, path=old_checkpoint, why=_why(error))
    trusted = _read_key(key) if key else None
    verdict = _run(workspace, lang, lambda _opened, engine: service.audit(engine, note, trusted_key=trusted))
    chosen = speaking_lang()
    if verdict.ok and verdict.old is not None and verdict.current is not None:
        say(
            Label(
                "[bold green]一致（CONSISTENT）[/]  树大小为 {now} 的日志延续了树大小为 {old} 的检查点（已核验 {count}"
                " 个证明哈希）",
                "[bold green]CONSISTENT[/]  the log at tree size {now} extends the checkpoint at tree size {old}"
                " ({count} proof hashes verified)",
            ),
            now=verdict.current.size,
            old=verdict.old.size,
            count=len(verdict.proof),
        )
        typer.echo(verdict.current.note, nl=False)
        return
    say(
        Label("[bold red]不一致（INCONSISTENT）[/]  {path}", "[bold red]INCONSISTENT[/]  {path}"),
        path=old_checkpoint,
    )
    for problem in verdict.problems:
        line = Label("问题：{problem}", "problem: {problem}").text(chosen, problem=problem.text(chosen))
        console.print(line, highlight=False, soft_wrap=True, markup=False)
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(evidence_app, name="evidence")
