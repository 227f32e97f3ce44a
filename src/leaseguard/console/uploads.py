"""What every console page that takes a file does before it reads one (the funding screen, the bundle to
verify, an admin's data upload, the balance sheet): judge the size on the declared length before a byte of the
body is read (console.max_upload_mb), drain a refused body a browser is still sending so it reads the answer,
check the CSRF token only then (reading the form first would read the whole body), refuse a missing file, a
file of another kind or one over the limit beside the file field, and name the file as a person reads it —
`receive`, which hands the accepted file to the page's own work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from leaseguard.console.rendering import FormState
from leaseguard.console.settings import ConsoleSettings
from leaseguard.vocabulary import Label, Lang

# The multipart wrapping around the file (boundaries, headers, the CSRF field) is a few hundred bytes; a
# declared length beyond the file limit plus this is refused before anything is read.
FORM_OVERHEAD_BYTES = 64 * 1024
# A refused upload up to this size is read to its end (and dropped) so the browser, still sending it, reads
# the answer; a larger one is answered at once and the connection closed.
DRAIN_BYTES = 256 * 1024 * 1024
NO_LENGTH = Label(
    "上传未声明大小，未予接收。请用浏览器的上传表单重新提交。",
    "The upload did not declare its size and was not taken. Send it again with the browser's form.",
)


@dataclass(frozen=True)
class Refusal:
    """How a page answers an upload it will not read: the status and the headers of its page."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)


async def drain(request: Request, declared: int) -> bool:
    """Read a refused body to its end, dropping it, when it is not too large to: a browser that is still
    sending shows the answer only once it has sent everything. False when the connection is to be closed."""
    if declared > DRAIN_BYTES:
        return False
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > DRAIN_BYTES:
            return False
    return True


async def refused_by_length(
    request: Request, settings: ConsoleSettings, form: FormState, lang: Lang, too_large: Label
) -> Refusal | None:
    """A refusal, with its message beside the file field, of an upload that declares no length (411) or a
    length over the console's limit (413, `too_large` said with the limit in MB); None when it may be read."""
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        form.add("file", NO_LENGTH, lang)
        return Refusal(411, {"Connection": "close"})
    if int(declared) > settings.max_upload_bytes + FORM_OVERHEAD_BYTES:
        drained = await drain(request, int(declared))
        form.add("file", too_large, lang, limit=settings.max_upload_mb)
        return Refusal(413, {} if drained else {"Connection": "close"})
    return None


def file_name(given: str) -> str:
    """The uploaded file's own name, as a person reads it: no folders, no control characters."""
    name = given.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable()).strip()
    return name[:255] or "upload"


@dataclass(frozen=True)
class Accepted:
    """What a page's upload takes: the files' suffixes and its words for a file of another kind (said with
    {name}), no file, and a file over the limit (said with {limit}, in MB)."""

    suffixes: tuple[str, ...]
    wrong_kind: Label
    no_file: Label
    too_large: Label


Done = TypeVar("Done")


async def receive(
    request: Request,
    settings: ConsoleSettings,
    form: FormState,
    lang: Lang,
    accepted: Accepted,
    work: Callable[[BinaryIO, str, str], Done],
) -> Done | Refusal:
    """The page's `work(file, name, suffix)` on the uploaded file, run in a worker thread while the upload is
    open; or the Refusal of an upload it will not read, its message beside the file field of `form`."""
    from leaseguard.console.auth import require_csrf

    refusal = await refused_by_length(request, settings, form, lang, accepted.too_large)
    if refusal is not None:
        return refusal
    await require_csrf(request)
    async with request.form(max_files=1, max_fields=10) as sent:
        given = sent.get("file")
        if not isinstance(given, UploadFile) or not given.filename:
            form.add("file", accepted.no_file, lang)
            return Refusal(422)
        name = file_name(given.filename)
        suffix = Path(name).suffix.lower()
        if suffix not in accepted.suffixes:
            form.add("file", accepted.wrong_kind, lang, name=name)
            return Refusal(422)
        if given.size is not None and given.size > settings.max_upload_bytes:
            form.add("file", accepted.too_large, lang, limit=settings.max_upload_mb)
            return Refusal(413)
        return await run_in_threadpool(work, given.file, name, suffix)


def read_capped(settings: ConsoleSettings) -> Callable[[BinaryIO, str, str], tuple[bytes, str]]:
    """Work that reads the whole file, one byte past the limit at most, with its name (a page that needs the
    bytes checks `len(data) > settings.max_upload_bytes`)."""
    return lambda file, name, _suffix: (file.read(settings.max_upload_bytes + 1), name)
