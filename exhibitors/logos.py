"""Exhibitor logos: checked by their content, re-encoded, stored under a random name.

Only PNG and JPEG are taken (SVG can carry script). The bytes must start with
the format's signature and Pillow must decode them; the image is then drawn
afresh as a PNG no larger than 800 pixels a side, which drops metadata and
anything appended to the file. Files live in var/uploads/logos/ and are
served by /logos/<name> with their content type and nosniff.
"""

from __future__ import annotations

import re
import secrets
import warnings
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from fairground.errors import Invalid
from fairground.settings import get_settings

MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 800
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}
NAME_RE = re.compile(r"^[0-9a-f]{32}\.png\Z")


def _refuse(message: str) -> Invalid:
    return Invalid(message, code="invalid_logo", fields={"logo": message})


def _decode(data: bytes, expected: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data), formats=[expected])
            if image.width * image.height > MAX_PIXELS:
                raise _refuse("The logo is too large: use an image under 6000 pixels a side")
            image.load()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise _refuse("The logo could not be read: upload a PNG or JPEG image") from None
    return image


def check_logo(data: bytes) -> bytes:
    """A PNG re-encoding of an uploaded PNG or JPEG under 2 MB; Invalid otherwise."""
    if not data:
        raise _refuse("Choose an image file for the logo")
    if len(data) > MAX_LOGO_BYTES:
        raise _refuse("The logo must be smaller than 2 MB")
    expected = next((fmt for sig, fmt in SIGNATURES.items() if data.startswith(sig)), None)
    if expected is None:
        raise _refuse("The logo must be a PNG or JPEG image")
    image = ImageOps.exif_transpose(_decode(data, expected))
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    out = BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def logo_dir() -> Path:
    return get_settings().var_dir / "uploads" / "logos"


def store_logo(png: bytes) -> str:
    """Write the file (atomically) and return its random name."""
    name = f"{secrets.token_hex(16)}.png"
    folder = logo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{name}.tmp"
    tmp.write_bytes(png)
    tmp.replace(folder / name)
    return name


def logo_path(name: str) -> Path | None:
    """The stored file for a name we made, else None (no path tricks)."""
    if not NAME_RE.match(name):
        return None
    path = logo_dir() / name
    return path if path.is_file() else None


def remove_logo(name: str) -> None:
    path = logo_path(name)
    if path is not None:
        path.unlink(missing_ok=True)
