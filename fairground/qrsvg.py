"""A QR code's modules as an inline SVG: a white square and one path of the dark
runs of each row, crisp at any size (tickets, the authenticator app's set-up)."""

from __future__ import annotations

from collections.abc import Sequence


def svg(matrix: Sequence[Sequence[bool]], box: int, label: str) -> str:
    """`box` CSS pixels per module for the width and height; `label` is what a screen
    reader says (the SVG is an image)."""
    size = len(matrix)
    runs: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'width="{size * box}" height="{size * box}" shape-rendering="crispEdges" '
        f'role="img" aria-label="{label}">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )
