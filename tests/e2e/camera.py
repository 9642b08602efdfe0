"""A fake camera for Chromium: a ticket's real QR as a Y4M video, and a browser
that plays it as its camera (--use-file-for-fake-video-capture)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from PIL import Image

from registrations.tickets import qr_png
from tests.e2e.conftest import CHROMIUM_ARGS, _chromium_or_skip

WIDTH, HEIGHT, FRAMES = 640, 480, 20


def qr_frame(code: str) -> Image.Image:
    """The ticket's QR, as the attendee's phone shows it, centred on white."""
    qr = Image.open(io.BytesIO(qr_png(code, box=6))).convert("RGB")
    side = min(HEIGHT - 40, qr.width)
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    frame = Image.new("RGB", (WIDTH, HEIGHT), "white")
    frame.paste(qr, ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    return frame


def y4m_bytes(frame: Image.Image, frames: int = FRAMES) -> bytes:
    """YUV4MPEG2 4:2:0 (JPEG range), the format Chromium's fake capture reads."""
    y, cb, cr = frame.convert("YCbCr").split()
    half = (frame.width // 2, frame.height // 2)
    # 2x2 subsampling of the chroma planes, as C420 asks.
    u = cb.resize(half, Image.Resampling.BOX).tobytes()
    v = cr.resize(half, Image.Resampling.BOX).tobytes()
    picture = b"FRAME\n" + y.tobytes() + u + v
    header = f"YUV4MPEG2 W{frame.width} H{frame.height} F10:1 Ip A1:1 C420jpeg\n".encode("ascii")
    return header + picture * frames


def write_camera_video(code: str, path: Path) -> Path:
    path.write_bytes(y4m_bytes(qr_frame(code)))
    return path


@asynccontextmanager
async def camera_browser(video: Path) -> AsyncIterator[Any]:
    """A Chromium of its own whose camera shows `video` (the file is a launch flag)."""
    executable = _chromium_or_skip()
    from playwright.async_api import async_playwright

    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=args, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()
