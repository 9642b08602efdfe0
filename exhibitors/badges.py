"""Stand staff badges as a PDF: eight 90 × 60 mm badges to an A4 page.

Each badge shows the person's name, organisation, stand and the fair. DejaVu
Sans is used where the system has it, so that any name prints; otherwise
the PDF core font, with letters outside Latin-1 simplified.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
BADGE_W, BADGE_H = 90.0, 60.0
MARGIN_X, MARGIN_Y = 12.0, 16.5
PER_PAGE = 8


@dataclass(frozen=True, slots=True)
class BadgeSheet:
    event: str
    organisation: str
    stand: str
    people: tuple[str, ...]


class _Pdf(FPDF):
    unicode_font = False

    def setup_fonts(self) -> None:
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            self.add_font("badge", "", str(regular))
            self.add_font("badge", "B", str(bold))
            self.unicode_font = True

    def use(self, size: float, bold: bool = False) -> None:
        family = "badge" if self.unicode_font else "helvetica"
        self.set_font(family, "B" if bold else "", size)

    def safe(self, text: str) -> str:
        if self.unicode_font:
            return text
        folded = unicodedata.normalize("NFKD", text)
        return folded.encode("latin-1", "ignore").decode("latin-1")

    def fit_line(self, text: str, size: float, bold: bool, width: float) -> None:
        """One centred line, made smaller until it fits the badge."""
        text = self.safe(text)
        while size > 7:
            self.use(size, bold)
            if self.get_string_width(text) <= width:
                break
            size -= 1
        self.cell(width, size * 0.5, text, align="C", new_x="LEFT", new_y="NEXT")


def _badge(pdf: _Pdf, sheet: BadgeSheet, person: str, index: int) -> None:
    column, row = index % 2, (index % PER_PAGE) // 2
    x = MARGIN_X + column * (BADGE_W + 6)
    y = MARGIN_Y + row * (BADGE_H + 6)
    pdf.set_draw_color(0, 98, 94)
    pdf.rect(x, y, BADGE_W, BADGE_H)
    inner = BADGE_W - 8
    pdf.set_xy(x + 4, y + 5)
    pdf.fit_line(sheet.event, 9, False, inner)
    pdf.set_xy(x + 4, y + 18)
    pdf.fit_line(person, 20, True, inner)
    pdf.set_xy(x + 4, y + 32)
    pdf.fit_line(sheet.organisation, 12, False, inner)
    if sheet.stand:
        pdf.set_xy(x + 4, y + 44)
        pdf.fit_line(f"Stand {sheet.stand}", 14, True, inner)


def render_badges(sheet: BadgeSheet) -> bytes:
    """The PDF bytes: one badge per person (an empty page when there is nobody)."""
    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(f"Badges: {sheet.organisation}")
    pdf.setup_fonts()
    pdf.add_page()
    for index, person in enumerate(sheet.people):
        if index and index % PER_PAGE == 0:
            pdf.add_page()
        _badge(pdf, sheet, person, index)
    return bytes(pdf.output())
