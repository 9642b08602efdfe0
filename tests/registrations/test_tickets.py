"""Ticket codes: signing, verification, rotation, and QR images that decode."""

from __future__ import annotations

import base64
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registrations import tickets
from registrations.tickets import (
    public_keys,
    qr_png,
    qr_svg,
    rotate_key,
    sign_ticket,
    verify_ticket,
)
from tests.registrations.helpers import decode_png, decode_svg


@pytest.fixture
def key_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A key directory of its own, and the cache reloaded before and after."""
    monkeypatch.setenv("TICKET_SIGNING_KEY_DIR", str(tmp_path / "keys"))
    tickets._keys.clear()
    tickets._current.clear()
    yield tmp_path / "keys"
    tickets._keys.clear()
    tickets._current.clear()


def test_round_trip_holds_only_ids() -> None:
    code = sign_ticket(42, 7)
    claims = verify_ticket(code)
    assert claims is not None
    assert (claims.registration_id, claims.event_id) == (42, 7)
    prefix, kid, payload, _signature = code.split(".")
    assert prefix == "FG1" and kid == claims.kid
    assert base64.urlsafe_b64decode(payload + "==") == bytes([42, 7])
    assert len(code) <= 110  # small QR: version 6 or 7 at level M


def test_large_ids_stay_compact() -> None:
    code = sign_ticket(2**31 - 1, 2**31 - 1)
    assert verify_ticket(code).registration_id == 2**31 - 1  # type: ignore[union-attr]
    assert len(code) <= 120  # fits registration.ticket_code


def test_every_single_character_change_fails() -> None:
    code = sign_ticket(1234, 56)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    for index, char in enumerate(code):
        for replacement in {alphabet[(alphabet.index(char) + 1) % len(alphabet)], "A", "z"}:
            if replacement == char:
                continue
            tampered = code[:index] + replacement + code[index + 1 :]
            assert verify_ticket(tampered) is None, (index, tampered)


def test_every_truncation_fails() -> None:
    code = sign_ticket(1234, 56)
    for length in range(len(code)):
        assert verify_ticket(code[:length]) is None


def test_a_code_for_other_ids_cannot_be_forged() -> None:
    code = sign_ticket(1, 1)
    other = sign_ticket(2, 1)
    prefix, kid, _, signature = code.split(".")
    swapped = f"{prefix}.{kid}.{other.split('.')[2]}.{signature}"
    assert verify_ticket(swapped) is None


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "FG1",
        "FG1...",
        "FG1.a.b.c",
        "hello world",
        "FG1.x.AQI.====",
        "é" * 50,
        "FG1." + "A" * 200,
        "\x00\x01",
        "FG1.abcdef.AQI.AAAA.extra",
    ],
)
def test_garbage_is_refused(garbage: str) -> None:
    assert verify_ticket(garbage) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_verify_never_raises(text: str) -> None:
    assert verify_ticket(text) is None


def test_rotation_keeps_old_tickets_valid(key_dir: Path) -> None:
    old = sign_ticket(5, 6)
    old_kid = old.split(".")[1]
    new_kid = rotate_key()
    new = sign_ticket(5, 6)
    assert new.split(".")[1] == new_kid != old_kid
    assert verify_ticket(old) is not None and verify_ticket(new) is not None
    assert set(public_keys()) == {old_kid, new_kid}
    assert all(len(base64.b64decode(k)) == 32 for k in public_keys().values())


def test_keys_are_made_private_on_first_use(key_dir: Path) -> None:
    assert not key_dir.exists()
    sign_ticket(1, 1)
    [pem] = list(key_dir.glob("*.pem"))
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert pem.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_unknown_kid_is_refused(key_dir: Path, tmp_path: Path) -> None:
    code = sign_ticket(1, 1)
    for pem in key_dir.glob("*.pem"):
        pem.unlink()
    tickets._keys.clear()
    tickets._current.clear()
    rotate_key()
    assert verify_ticket(code) is None


def test_public_key_verifies_offline() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    code = sign_ticket(9, 8)
    prefix, kid, payload, signature = code.split(".")
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_keys()[kid]))
    key.verify(base64.urlsafe_b64decode(signature + "=="), f"{prefix}.{kid}.{payload}".encode())


@pytest.mark.parametrize("ids", [(1, 1), (123456, 789), (2**31 - 1, 2**20)])
def test_qr_images_decode_to_the_code(ids: tuple[int, int]) -> None:
    code = sign_ticket(*ids)
    assert decode_png(qr_png(code)) == code
    svg = qr_svg(code)
    assert svg.startswith(b"<svg") and b'fill="#fff"' in svg
    assert decode_svg(svg) == code


def test_png_is_large_enough_for_a_phone() -> None:
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(qr_png(sign_ticket(1, 1))))
    assert image.size[0] == image.size[1] >= 300
