"""Routes of the evidence log: your own records and bundles; checkpoints and proofs of the shared tree."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from leaseguard.api.deps import SessionDep, require
from leaseguard.api.params import STORED_INT_MAX, EvidenceIndexPath
from leaseguard.api.problems import ProblemError, problem_responses
from leaseguard.evidence import bundle, service
from leaseguard.evidence.models import SignedCheckpoint, StoredRecord
from leaseguard.tenancy import Action, Principal
from leaseguard.timestamps import UtcDatetime
from leaseguard.vocabulary import Label

router = APIRouter(prefix="/v1/evidence", tags=["evidence"], responses=problem_responses(401, 403, 422))
CanRead = Annotated[Principal, Depends(require(Action.READ_EVIDENCE))]
MAX_BUNDLE_RECORDS = 100


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class CheckpointOut(BaseModel):
    origin: str
    tree_size: int
    root_hash: str = Field(description="RFC 9162 root hash, base64.")
    note: str = Field(description="The checkpoint as a C2SP signed note (Ed25519).")
    vkey: str = Field(description="The log's note verifier key: <name>+<key id>+<base64 key>.")
    created_at: UtcDatetime | None


class RecordOut(BaseModel):
    index: int
    lessor: str
    kind: str
    ref: str | None
    media_type: str
    appended_at: UtcDatetime
    leaf_hash: str = Field(description="SHA-256(0x00 || entry), base64.")
    entry: dict[str, Any] = Field(description="The entry that was hashed, parsed.")
    entry_base64: str = Field(description="The exact entry bytes that were hashed, base64.")

    @classmethod
    def of(cls, record: StoredRecord) -> RecordOut:
        return cls(
            index=record.index,
            lessor=record.lessor,
            kind=record.kind,
            ref=record.ref,
            media_type=record.media_type,
            appended_at=record.appended_at,
            leaf_hash=_b64(record.leaf_hash),
            entry=dict(record.fields),
            entry_base64=_b64(record.entry),
        )


class RecordsOut(BaseModel):
    items: list[RecordOut]
    next_after: int | None = Field(description="Pass as `after` for the next page; null on the last page.")


class InclusionOut(BaseModel):
    index: int
    tree_size: int
    leaf_hash: str
    proof: list[str] = Field(description="RFC 9162 inclusion path, leaf level first, base64.")


class ConsistencyOut(BaseModel):
    old_size: int
    new_size: int
    proof: list[str] = Field(description="RFC 9162 consistency proof, base64.")


def _problem(error: service.EvidenceError) -> ProblemError:
    if isinstance(error, service.UnknownRecordError):
        # The same answer whether the record is another lessor's or does not exist at all.
        return ProblemError(404, Label("没有这条证据记录。", "No such evidence record."), kind="not-found")
    return ProblemError(422, error, kind="evidence-request")


def _latest(session: SessionDep) -> tuple[SignedCheckpoint, str]:
    checkpoint = service.latest_checkpoint(session)
    key = service.log_key(session)
    if checkpoint is None or key is None:
        raise ProblemError(
            404,
            Label("证据日志尚未发布检查点。", "The evidence log has published no checkpoint yet."),
            kind="not-found",
        )
    return checkpoint, key.vkey


@router.get(
    "/checkpoint", summary="The newest signed checkpoint of the log", responses=problem_responses(404)
)
def get_checkpoint(_principal: CanRead, session: SessionDep) -> CheckpointOut:
    checkpoint, vkey = _latest(session)
    return CheckpointOut(
        origin=checkpoint.checkpoint.origin,
        tree_size=checkpoint.size,
        root_hash=_b64(checkpoint.root_hash),
        note=checkpoint.note,
        vkey=vkey,
        created_at=checkpoint.created_at,
    )


@router.get(
    "/checkpoint.txt",
    summary="The newest signed checkpoint as a plain signed note, for transparency tooling",
    response_class=PlainTextResponse,
    responses=problem_responses(404),
)
def get_checkpoint_note(_principal: CanRead, session: SessionDep) -> PlainTextResponse:
    checkpoint, _ = _latest(session)
    return PlainTextResponse(checkpoint.note)


@router.get("/records", summary="List your evidence records, in log order")
def list_records(
    principal: CanRead,
    session: SessionDep,
    ref: Annotated[str | None, Query(max_length=200, description="Only records with this reference.")] = None,
    after: Annotated[
        int | None, Query(ge=0, le=STORED_INT_MAX, description="Only records after this index.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> RecordsOut:
    rows = service.list_records(session, lessor=principal.lessor, ref=ref, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return RecordsOut(items=[RecordOut.of(row) for row in rows], next_after=rows[-1].index if more else None)


@router.get("/records/{index}", summary="One of your evidence records", responses=problem_responses(404))
def get_record(principal: CanRead, session: SessionDep, index: EvidenceIndexPath) -> RecordOut:
    try:
        return RecordOut.of(service.get_record(session, index, lessor=principal.lessor))
    except service.EvidenceError as error:
        raise _problem(error) from None


@router.get(
    "/records/{index}/content",
    summary="The content of one of your evidence records, as deposited",
    response_class=Response,
    responses=problem_responses(404),
)
def get_record_content(principal: CanRead, session: SessionDep, index: EvidenceIndexPath) -> Response:
    try:
        record = service.get_record(session, index, lessor=principal.lessor)
    except service.EvidenceError as error:
        raise _problem(error) from None
    return Response(record.content or b"", media_type=record.media_type)


@router.get(
    "/proofs/inclusion",
    summary="Inclusion proof of one of your records in the shared tree (hashes only)",
    responses=problem_responses(404),
)
def get_inclusion_proof(
    principal: CanRead,
    session: SessionDep,
    index: Annotated[int, Query(ge=0, le=STORED_INT_MAX)],
    tree_size: Annotated[
        int | None, Query(ge=1, le=STORED_INT_MAX, description="Default: the current tree.")
    ] = None,
) -> InclusionOut:
    try:
        # Only for the caller's own records: another lessor's index answers as a missing one does.
        service.get_record(session, index, lessor=principal.lessor)
        proof = service.inclusion_proof(session, index, tree_size)
    except service.EvidenceError as error:
        raise _problem(error) from None
    return InclusionOut(
        index=proof.index,
        tree_size=proof.tree_size,
        leaf_hash=_b64(proof.leaf_hash),
        proof=[_b64(node) for node in proof.path],
    )


@router.get("/proofs/consistency", summary="Consistency proof between two sizes of the shared tree")
def get_consistency_proof(
    _principal: CanRead,
    session: SessionDep,
    old_size: Annotated[int, Query(ge=0, le=STORED_INT_MAX)],
    new_size: Annotated[
        int | None, Query(ge=0, le=STORED_INT_MAX, description="Default: the current tree.")
    ] = None,
) -> ConsistencyOut:
    try:
        size = new_size if new_size is not None else service.log_size(session)
        proof = service.consistency_proof(session, old_size, size)
    except service.EvidenceError as error:
        raise _problem(error) from None
    return ConsistencyOut(old_size=old_size, new_size=size, proof=[_b64(node) for node in proof])


@router.get(
    "/bundle",
    summary="A verifiable bundle (zip) of your records with proofs, checkpoint and key",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}, **problem_responses(404)},
)
def get_bundle(
    principal: CanRead,
    session: SessionDep,
    index: Annotated[
        list[Annotated[int, Field(ge=0, le=STORED_INT_MAX)]],
        Query(description="Indexes of your records; repeat the parameter."),
    ],
) -> Response:
    if len(index) > MAX_BUNDLE_RECORDS:
        raise ProblemError(
            422,
            Label("每个证据包最多 {limit} 条记录。", "At most {limit} records per bundle."),
            kind="evidence-request",
            limit=MAX_BUNDLE_RECORDS,
        )
    try:
        data = bundle.export_bundle(session, index, lessor=principal.lessor)
    except service.EvidenceError as error:
        raise _problem(error) from None
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="evidence-bundle.zip"'},
    )
