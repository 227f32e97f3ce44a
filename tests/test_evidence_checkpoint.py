"""C2SP signed notes and tlog checkpoints: the spec's own example, key IDs, signing, and every way a note can
be wrong."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from leaseguard.evidence.checkpoint import NoteSigner, sign_checkpoint, sign_note
from leaseguard.evidence.verifier import (
    Checkpoint,
    NoteError,
    VerifierKey,
    key_id,
    keys_for_public_key,
    open_note,
    parse_checkpoint_text,
    parse_vkey,
    verify_checkpoint,
)

# From c2sp.org/signed-note, "Verifier keys / Example".
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n"
    "\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

ORIGIN = "leaseguard.test/log"


@pytest.fixture(scope="module")
def signer() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519PrivateKey.generate())


def test_spec_example_verifies() -> None:
    key = parse_vkey(SPEC_VKEY)
    assert key.name == "example.com/foo"
    assert key.key_id.hex() == "530d903a"
    assert key.vkey == SPEC_VKEY
    text, by = open_note(SPEC_NOTE, [key])
    assert text == "This is an example message.\n"
    assert by == key


def test_spec_example_altered_is_rejected() -> None:
    key = parse_vkey(SPEC_VKEY)
    with pytest.raises(NoteError, match="签名验证不通过：签名注记已被改动") as caught:
        open_note(SPEC_NOTE.replace("example message", "example massage"), [key])
    assert caught.value.text("en") == "the signature of example.com/foo does not verify: the note was altered"


def test_key_id_is_as_the_spec_defines(signer: NoteSigner) -> None:
    expected = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + signer.public_key).digest()[:4]
    assert key_id(ORIGIN, signer.public_key) == expected
    line = sign_note("hello\n", signer).split("\n")[2]
    assert line.startswith(f"— {ORIGIN} ")
    assert base64.b64decode(line.split(" ")[2])[:4] == expected


def test_checkpoint_round_trip(signer: NoteSigner) -> None:
    root = hashlib.sha256(b"root").digest()
    note = sign_checkpoint(Checkpoint(ORIGIN, 20852163, root), signer)
    lines = note.split("\n")
    assert lines[:4] == [ORIGIN, "20852163", base64.b64encode(root).decode(), ""]
    assert lines[4].startswith(f"— {ORIGIN} ")
    assert lines[5:] == [""]
    checkpoint, key = verify_checkpoint(note, [signer.verifier])
    assert checkpoint == Checkpoint(ORIGIN, 20852163, root)
    assert key == signer.verifier
    # A bare public key (a PEM from the operator) finds its name through the key ID.
    assert keys_for_public_key(note, signer.public_key) == [signer.verifier]


def test_other_key_is_rejected(signer: NoteSigner) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 1, bytes(32)), signer)
    impostor = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    with pytest.raises(NoteError, match="不是由预期的密钥签名的") as caught:
        verify_checkpoint(note, [impostor.verifier])
    assert "not signed by the expected key" in caught.value.text("en")
    forged = sign_checkpoint(Checkpoint(ORIGIN, 1, bytes(32)), impostor)
    with pytest.raises(NoteError):
        verify_checkpoint(forged, [signer.verifier])
    assert keys_for_public_key(note, impostor.public_key) == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "origin"),
        ("o\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "decimal"),
        ("o\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "decimal"),
        ("o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n", "canonical"),
        ("o\n1\nAAAA\n", "32 bytes"),
        ("o\n1\n", "needs an origin"),
    ],
)
def test_malformed_checkpoint_text(text: str, reason: str) -> None:
    with pytest.raises(NoteError) as caught:
        parse_checkpoint_text(text)
    assert re.search(reason, caught.value.text("en")), caught.value.text("en")
    assert str(caught.value) == caught.value.text("zh") and "检查点" in str(caught.value)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda note: note.replace("\n\n", "\n"), "blank line"),
        (lambda note: note.replace("— ", "- "), "em dash"),
        (lambda note: note.rstrip("\n"), "newline"),
        (lambda note: note.replace("\n\n", "\n\x07\n"), "control"),
        (lambda note: note[: note.index("— ")], "newline|blank line|signature"),
    ],
)
def test_malformed_notes(signer: NoteSigner, mutate: object, reason: str) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 3, bytes(32)), signer)
    assert callable(mutate)
    with pytest.raises(NoteError) as caught:
        verify_checkpoint(mutate(note), [signer.verifier])
    assert re.search(reason, caught.value.text("en")), caught.value.text("en")
    assert re.search("签名|换行|空行|控制字符", str(caught.value)), str(caught.value)


def test_unknown_signatures_are_ignored(signer: NoteSigner) -> None:
    # A witness's cosignature (another key) beside ours must not make the note fail.
    note = sign_checkpoint(Checkpoint(ORIGIN, 3, bytes(32)), signer)
    witness = NoteSigner("witness.example/w1", Ed25519PrivateKey.generate())
    text = note.split("\n\n")[0] + "\n"
    cosigned = note + witness.signature_line(text)
    checkpoint, _ = verify_checkpoint(cosigned, [signer.verifier])
    assert checkpoint.size == 3


def test_vkey_round_trip_and_checks(signer: NoteSigner) -> None:
    assert parse_vkey(signer.verifier.vkey) == signer.verifier
    with pytest.raises(NoteError, match="ID 与其名称和密钥不符") as caught:
        parse_vkey(signer.verifier.vkey.replace(signer.verifier.key_id.hex(), "00000000"))
    assert "ID does not match" in caught.value.text("en")
    with pytest.raises(NoteError):
        parse_vkey("no-plus-signs")
    assert VerifierKey("a", bytes(32)).vkey.startswith("a+")


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_flipped_bit_in_a_checkpoint_is_detected(signer: NoteSigner, data: st.DataObject) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 123456, hashlib.sha256(b"x").digest()), signer).encode()
    bit = data.draw(st.integers(min_value=0, max_value=len(note) * 8 - 1))
    flipped = bytearray(note)
    flipped[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises((NoteError, UnicodeDecodeError)):
        verify_checkpoint(bytes(flipped).decode("utf-8"), [signer.verifier])
