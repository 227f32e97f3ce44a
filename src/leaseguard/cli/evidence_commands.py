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

from leaseguard.cli.common import WorkspaceOption, console, error_console, fail, open_workspace

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
        fail(str(error))
    except SQLAlchemyError as error:
        fail(
            f"the store could not be used ({type(error).__name__}); is it migrated? try `leaseguard migrate`"
        )
    finally:
        engine.dispose()


def _run(workspace: WorkspaceOption, work: Callable[[Workspace, Engine], Result]) -> Result:
    opened = open_workspace(workspace)
    with _store(opened) as engine:
        return work(opened, engine)


def _settings(workspace: Workspace) -> service.LogSettings:
    from leaseguard.evidence import service
    from leaseguard.workspace import WorkspaceError

    try:
        return service.log_settings(workspace)
    except (service.EvidenceError, WorkspaceError) as error:
        fail(str(error))


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
) -> None:
    """Append files to the evidence log as one batch (all or none) and publish a checkpoint."""
    import mimetypes

    from leaseguard.evidence import service
    from leaseguard.evidence.models import AppendedBatch, NewRecord, Provenance, format_time

    records = []
    for path in files:
        try:
            content = path.read_bytes()
        except OSError as error:
            fail(f"{path}: {error.strerror or error}")
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

    batch = _run(workspace, work)
    table = Table("index", "file", "appended (UTC)", "leaf hash (base64)")
    for path, receipt in zip(files, batch.receipts, strict=True):
        table.add_row(str(receipt.index), path.name, format_time(receipt.timestamp), _b64(receipt.leaf_hash))
    console.print(table)
    console.print(f"checkpoint published at tree size {batch.checkpoint.size}")


@evidence_app.command("event")
def event(
    payload: Annotated[str, typer.Argument(help="The event as a JSON object.")],
    lessor: LessorOption,
    kind: KindOption,
    producer: ProducerOption,
    system: SystemOption,
    ref: RefOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Append one JSON event (stored as canonical JSON) and publish a checkpoint."""
    from leaseguard.evidence import service
    from leaseguard.evidence.models import Provenance, Receipt, format_time

    try:
        parsed = json.loads(payload)
    except json.JSONDecodeError as error:
        fail(f"the event is not JSON: {error}")
    if not isinstance(parsed, dict):
        fail("the event must be a JSON object")

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

    receipt = _run(workspace, work)
    console.print(
        f"record {receipt.index} appended {format_time(receipt.timestamp)}, leaf hash {_b64(receipt.leaf_hash)}"
    )


@evidence_app.command("checkpoint")
def checkpoint(
    out: Annotated[Path | None, typer.Option(help="Also write the signed checkpoint to this file.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Publish a signed checkpoint of the log as it is now, and print it (a C2SP signed note)."""
    from leaseguard.evidence import service

    signed = _run(
        workspace, lambda opened, engine: service.publish_checkpoint(engine, _settings(opened).signer)
    )
    if out is not None:
        out.write_text(signed.note, encoding="utf-8")
    typer.echo(signed.note, nl=False)


@evidence_app.command("show")
def show(
    index: Annotated[int, typer.Argument(help="Index of the record in the log.", min=0)],
    lessor: TenantFilter = None,
    content_out: Annotated[Path | None, typer.Option(help="Write the record's content to this file.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Show a record's entry (what was hashed), its leaf hash and its inclusion proof."""
    from leaseguard.evidence import service
    from leaseguard.evidence.models import InclusionProof, StoredRecord

    def work(_opened: Workspace, engine: Engine) -> tuple[StoredRecord, InclusionProof]:
        record = service.get_record(engine, index, lessor=lessor)
        return record, service.inclusion_proof(engine, index)

    record, proof = _run(workspace, work)
    if content_out is not None:
        content_out.write_bytes(record.content or b"")
    typer.echo(json.dumps(dict(record.fields), indent=2, ensure_ascii=False))
    console.print(f"leaf hash  {_b64(record.leaf_hash)}")
    console.print(f"proof      {len(proof.path)} hashes, tree size {proof.tree_size}")
    for node in proof.path:
        console.print(f"  {_b64(node)}")


@evidence_app.command("export")
def export(
    records: Annotated[list[int], typer.Argument(help="Indexes of the records to export.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The bundle to write (.zip).")],
    lessor: TenantFilter = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Export records with their inclusion proofs, the signed checkpoint and the public key as a zip."""
    from leaseguard.evidence import bundle

    data = _run(
        workspace,
        lambda _opened, engine: bundle.export_bundle(engine, records, lessor=lessor, bundle_name=out.name),
    )
    try:
        out.write_bytes(data)
    except OSError as error:
        fail(f"{out}: {error.strerror or error}")
    console.print(
        f"wrote {out}: {len(set(records))} record(s); verify with `leaseguard evidence verify {out}`"
    )


def _read_key(path: Path) -> VerifierKey | bytes:
    from leaseguard.evidence.verifier import NoteError, parse_vkey, public_key_from_pem

    try:
        raw = path.read_bytes()
        if b"-----BEGIN" in raw:
            return public_key_from_pem(raw)
        return parse_vkey(raw.decode("utf-8"))
    except (OSError, NoteError, UnicodeDecodeError) as error:
        fail(f"{path}: not a usable public key ({getattr(error, 'strerror', None) or error})")


def _workspace_key(workspace: Path | None) -> tuple[VerifierKey | bytes | None, str]:
    """The workspace's public key, if a workspace is at hand; verification never needs the store."""
    from leaseguard.workspace import WorkspaceError, find_workspace

    try:
        opened = find_workspace(workspace)
        path = opened.path("keys", "evidence_public_key")
    except WorkspaceError as error:
        if workspace is not None:
            fail(str(error))
        return None, "no workspace found: the bundle's own key is used"
    if not path.exists():
        return None, f"{path} is missing: the bundle's own key is used"
    return _read_key(path), f"trusted key: {path}"


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
) -> None:
    """Verify a bundle offline: VALID, or exactly what is wrong (exit 1). Never touches the store."""
    from leaseguard.evidence import bundle
    from leaseguard.evidence.verifier import (
        NoteError,
        VerifierKey,
        describe,
        keys_for_public_key,
        verify_checkpoint,
    )

    trusted, source = (_read_key(key), f"trusted key: {key}") if key else _workspace_key(workspace)
    earlier = None
    if previous is not None:
        if trusted is None:
            fail("--previous needs a trusted key (--key or a workspace) to check the earlier checkpoint")
        try:
            note = previous.read_text(encoding="utf-8")
            keys = [trusted] if isinstance(trusted, VerifierKey) else keys_for_public_key(note, trusted)
            earlier, _ = verify_checkpoint(note, keys)
        except (OSError, UnicodeDecodeError, NoteError) as error:
            fail(
                f"{previous}: not a valid checkpoint of this log ({getattr(error, 'strerror', None) or error})"
            )
    verdict = bundle.verify_bundle(bundle_path, trusted_key=trusted, previous=earlier)
    lines = describe(verdict)
    style = "bold green" if verdict.ok else "bold red"
    console.print(f"[{style}]{lines[0]}[/]  {bundle_path}", highlight=False)
    error_console.print(source, style="dim", highlight=False)
    for line in lines[1:]:
        console.print(line, highlight=False, soft_wrap=True)
    if not verdict.ok:
        raise typer.Exit(1)


@evidence_app.command("verifier")
def verifier_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the standalone verifier script.")] = Path(
        "verify_evidence.py"
    ),
) -> None:
    """Write the standalone verifier (Python 3 and `cryptography` only), the one every bundle ships, to check
    bundles where leaseguard is not installed. The build writes tools/verify_evidence.py with it."""
    from leaseguard.evidence.bundle import VERIFIER_SOURCE

    try:
        out.write_bytes(VERIFIER_SOURCE.read_bytes())
    except OSError as error:
        fail(f"{out}: cannot write it ({error.strerror})")
    console.print(f"wrote {out}: python {out.name} BUNDLE.zip --key <the log's public key>")


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
) -> None:
    """Prove that the log today extends an older checkpoint (RFC 9162 consistency proof). Reads only."""
    from leaseguard.evidence import service

    try:
        note = old_checkpoint.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"{old_checkpoint}: cannot read it ({getattr(error, 'strerror', None) or error})")
    trusted = _read_key(key) if key else None
    verdict = _run(workspace, lambda _opened, engine: service.audit(engine, note, trusted_key=trusted))
    if verdict.ok and verdict.old is not None and verdict.current is not None:
        console.print(
            f"[bold green]CONSISTENT[/]  the log at tree size {verdict.current.size} extends the checkpoint at "
            f"tree size {verdict.old.size} ({len(verdict.proof)} proof hashes verified)",
            highlight=False,
        )
        typer.echo(verdict.current.note, nl=False)
        return
    console.print(f"[bold red]INCONSISTENT[/]  {old_checkpoint}", highlight=False)
    for problem in verdict.problems:
        console.print(f"problem: {problem}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(evidence_app, name="evidence")
