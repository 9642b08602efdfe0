"""Ticket codes: compact, signed, free of personal data; and their QR images.

A code is `FG1.<kid>.<payload>.<signature>`: the payload is the registration
id and event id as two unsigned varints (base64url), the signature is Ed25519
over everything before it (base64url), and `kid` names the key, so a scanner
holding the public keys can reject a forged or mistyped code offline and keys
can rotate without invalidating tickets already sent.

Private keys are PEM files in TICKET_SIGNING_KEY_DIR (default var/keys/),
made on first use. Files are named `<nanoseconds>_<kid>.pem`, so the newest
sorts last and signs; every older one still verifies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import qrcode
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M

from fairground import qrsvg
from fairground.settings import get_settings

PREFIX = "FG1"
MAX_CODE_LENGTH = 160  # anything longer is not ours; refuse before decoding
# A fixed mask makes the matrix deterministic and skips the eight-way penalty
# search (≈3x the cost); every mask is valid per ISO 18004 and scanners read all.
QR_MASK = 2
QR_BOX = 8  # pixels per module in the PNG: ~400px square, easy for a phone camera
QR_BORDER = 4  # the quiet zone the standard asks for

_lock = threading.Lock()
_keys: dict[str, Ed25519PrivateKey] = {}
_current: list[str] = []


@dataclass(frozen=True, slots=True)
class TicketClaims:
    registration_id: int
    event_id: int
    kid: str


def key_dir() -> Path:
    raw = os.environ.get("TICKET_SIGNING_KEY_DIR", "").strip()
    return Path(raw).resolve() if raw else get_settings().var_dir / "keys"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or not all(c.isalnum() or c in "-_" for c in text) or not text.isascii():
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:  # refuse non-canonical spellings (stray low bits)
        raise ValueError("not canonical base64url")
    return data


def _kid_of(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b32encode(hashlib.sha256(raw).digest()).decode("ascii")[:6].lower()


def _write_key(directory: Path) -> str:
    key = Ed25519PrivateKey.generate()
    kid = _kid_of(key)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{time.time_ns():020d}_{kid}.pem"
    tmp = path.with_suffix(".tmp")
    # Create with 0600 from the start: the private key is never world-readable.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    tmp.replace(path)
    return kid


def _load_keys() -> None:
    """(Re)read the key directory; make the first key when there is none."""
    directory = key_dir()
    paths = sorted(directory.glob("*_*.pem")) if directory.exists() else []
    if not paths:
        _write_key(directory)
        paths = sorted(directory.glob("*_*.pem"))
    _keys.clear()
    _current.clear()
    for path in paths:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, Ed25519PrivateKey):
            _keys[_kid_of(key)] = key
            _current[:] = [_kid_of(key)]


def _signing_key() -> tuple[str, Ed25519PrivateKey]:
    with _lock:
        if not _current:
            _load_keys()
        kid = _current[0]
        return kid, _keys[kid]


def _holds_key(kid: str) -> bool:
    with _lock:
        if kid not in _keys:
            _load_keys()  # another process may have rotated since we loaded
        return kid in _keys


def _public_key(kid: str) -> Ed25519PublicKey | None:
    with _lock:
        if kid not in _keys:
            _load_keys()  # another process may have rotated since we loaded
        key = _keys.get(kid)
    return key.public_key() if key else None


def rotate_key() -> str:
    """Make a new signing key; older keys keep verifying the tickets they signed."""
    with _lock:
        kid = _write_key(key_dir())
        _load_keys()
    return kid


def public_keys() -> dict[str, str]:
    """Every verifying key as {kid: base64 of the raw 32-byte Ed25519 public key}."""
    with _lock:
        if not _current:
            _load_keys()
        items = list(_keys.items())
    return {
        kid: base64.b64encode(
            key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        ).decode("ascii")
        for kid, key in items
    }


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _read_varints(data: bytes) -> list[int]:
    values, current, shift = [], 0, 0
    for byte in data:
        current |= (byte & 0x7F) << shift
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")
        if not byte & 0x80:
            values.append(current)
            current, shift = 0, 0
    if shift:
        raise ValueError("truncated varint")
    return values


def sign_ticket(registration_id: int, event_id: int) -> str:
    """The code in a ticket's QR: ids only, signed with the current key."""
    if registration_id < 1 or event_id < 1:
        raise ValueError("ids are positive")
    kid, key = _signing_key()
    body = f"{PREFIX}.{kid}.{_b64(_varint(registration_id) + _varint(event_id))}"
    return f"{body}.{_b64(key.sign(body.encode('ascii')))}"


def verify_ticket(code: str) -> TicketClaims | None:
    """The claims of a genuine code; None for anything else. Never raises."""
    try:
        if not isinstance(code, str) or len(code) > MAX_CODE_LENGTH:
            return None
        prefix, kid, payload, signature = code.strip().split(".")
        if prefix != PREFIX:
            return None
        key = _public_key(kid)
        if key is None:
            return None
        key.verify(_unb64(signature), f"{prefix}.{kid}.{payload}".encode("ascii"))
        ids = _read_varints(_unb64(payload))
        if len(ids) != 2 or min(ids) < 1:
            return None
        return TicketClaims(registration_id=ids[0], event_id=ids[1], kid=kid)
    except (ValueError, InvalidSignature, binascii.Error, UnicodeError):
        return None


def claims_unverified(code: str) -> TicketClaims | None:
    """The claims a well-formed code states, signed with a key we hold, WITHOUT
    checking the signature; None for anything else. Only for a caller that then
    matches the whole code against one the server stored when it issued it
    (registrations.checkin's fast path): a code equal to an issued one is that
    issued code, so its signature can add nothing. Never raises."""
    try:
        if not isinstance(code, str) or len(code) > MAX_CODE_LENGTH:
            return None
        prefix, kid, payload, _signature = code.strip().split(".")
        if prefix != PREFIX or not _holds_key(kid):  # a key taken away admits no one
            return None
        ids = _read_varints(_unb64(payload))
        if len(ids) != 2 or min(ids) < 1:
            return None
        return TicketClaims(registration_id=ids[0], event_id=ids[1], kid=kid)
    except (ValueError, binascii.Error, UnicodeError):
        return None


def qr_matrix(code: str) -> list[list[bool]]:
    """The QR modules, quiet zone included (error correction M: survives smudges)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QR_BORDER, mask_pattern=QR_MASK)
    qr.add_data(code.encode("utf-8"))
    qr.make(fit=True)
    return qr.get_matrix()


def qr_png(code: str, box: int = QR_BOX) -> bytes:
    """A black-on-white PNG, `box` pixels per module."""
    matrix = qr_matrix(code)
    size = len(matrix)
    image = Image.new("1", (size, size), 1)
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    image = image.resize((size * box, size * box), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG")  # optimize=True saves 10% of <1 kB for 3x the time
    return out.getvalue()


def qr_svg(code: str) -> bytes:
    """A scalable SVG: white background, one path of horizontal runs of dark modules."""
    return qrsvg.svg(qr_matrix(code), QR_BOX, "Ticket QR code").encode("ascii")
