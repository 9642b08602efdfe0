"""The printable ticket: a tagged PDF, A4 or A6, in the registration's language.

Tagged (PDF/UA's basics): a structure tree of headings (H1, H2) and paragraphs
in reading order, the QR code a Figure with alternative text, the document's
language (/Lang) and title shown as the window title. fpdf2 writes the tree;
its public API tags only figures and outline sections, so headings and
paragraphs are marked here with `_Pdf.tagged` (fpdf2's structure builder).
Decorations (the border, the rule) are artifacts, outside the tree.

Fonts: DejaVu Sans where the system has it (any Latin, Greek or Cyrillic name);
otherwise the core font, letters outside Latin-1 simplified. Scripts that need
shaping (Arabic, Urdu, Bengali, Gurmukhi) have no shaping engine here: their
tickets print in English (`PRINTED_LANGUAGES`), with the person's name as typed.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fpdf import FPDF, ViewerPreferences

from fairground import i18n, timefmt
from fairground.i18n import N_
from registrations import invites, tickets

Row = dict[str, Any]
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# Languages whose script prints correctly without a shaping engine.
PRINTED_LANGUAGES = ("en", "pl", "ro")
SIZES = ("a4", "a6")

WHAT_TO_BRING = (
    N_("This ticket, printed or on a phone. If you lose it, tell us your name at the door."),
    N_("Your CV, if you have one. You do not need one to come."),
    N_("Something to write with, and a bag for leaflets."),
    N_("Any letters about jobs or training you want to ask about."),
)


class _Pdf(FPDF):
    unicode_font = False

    def setup_fonts(self) -> None:
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            self.add_font("ticket", "", str(regular))
            self.add_font("ticket", "B", str(bold))
            self.unicode_font = True

    def use(self, size: float, bold: bool = False) -> None:
        self.set_font("ticket" if self.unicode_font else "helvetica", "B" if bold else "", size)

    def safe(self, text: str) -> str:
        if self.unicode_font:
            return text
        folded = unicodedata.normalize("NFKD", text)
        return folded.encode("latin-1", "ignore").decode("latin-1")

    @contextmanager
    def tagged(self, struct_type: str) -> Iterator[None]:
        """Content marked as one structure element (H1, H2, P) in reading order."""
        builder = self.struct_builder
        mcid = builder.next_mcid_for_page(self.page)
        _, spid = builder.add_marked_content(
            page_number=self.page, struct_type=f"/{struct_type}", mcid=mcid
        )
        self.pages[self.page].struct_parents = spid
        self._set_min_pdf_version("1.5")
        self._out(f"/{struct_type} <</MCID {mcid}>> BDC")
        yield
        self._out("EMC")

    @contextmanager
    def artifact(self) -> Iterator[None]:
        self._out("/Artifact BMC")
        yield
        self._out("EMC")

    def block(self, struct_type: str, text: str, size: float, bold: bool = False) -> None:
        with self.tagged(struct_type):
            self.use(size, bold)
            self.multi_cell(
                0, size * 0.45, self.safe(text), align="L", new_x="LMARGIN", new_y="NEXT"
            )
        self.ln(size * 0.15)


def _printed_language(code: str | None) -> str:
    return code if code in PRINTED_LANGUAGES else "en"


def ticket_pdf(registration: Row, event: Row, slot: Row | None, size: str = "a4") -> bytes:
    """The ticket of a confirmed registration (`event` localised, `slot` or None)."""
    code = str(registration["ticket_code"])
    with i18n.use(_printed_language(registration.get("language"))):
        return _render(registration, event, slot, code, size if size in SIZES else "a4")


def _render(registration: Row, event: Row, slot: Row | None, code: str, size: str) -> bytes:
    _ = i18n.gettext
    small = size == "a6"
    pdf = _Pdf(format=(105, 148) if small else "A4", unit="mm")
    pdf.setup_fonts()
    pdf.set_lang(i18n.language().code if i18n.current() != "en" else "en-GB")
    title = _("Ticket: %(event)s") % {"event": event["title"]}
    pdf.set_title(pdf.safe(title))
    pdf.set_author("Fairground")
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    margin = 7.0 if small else 18.0
    pdf.set_margins(margin, margin, margin)
    pdf.set_auto_page_break(True, margin)
    pdf.add_page()
    # Type sizes in points: title, name, heading, text, small print.
    t, n, h, p, f = (13.0, 10.0, 9.5, 8.0, 7.0) if small else (26.0, 19.0, 18.0, 14.5, 13.0)
    with pdf.artifact():
        pdf.set_draw_color(11, 12, 12)
        pdf.set_line_width(0.6 if small else 1.0)
        pdf.rect(margin / 2, margin / 2, pdf.w - margin, pdf.h - margin)

    pdf.block("H1", str(event["title"]), t, bold=True)
    pdf.block("P", _("Ticket for %(name)s") % {"name": registration["name"]}, n)
    reference = _("Reference: %(reference)s") % {"reference": registration["reference"]}
    pdf.block("P", reference, p)

    qr_size = 36.0 if small else 75.0
    png = tickets.qr_png(code)
    alt = _("QR code of your ticket, to be scanned at the door. Reference %(reference)s.") % {
        "reference": registration["reference"]
    }
    pdf.image(io.BytesIO(png), x=(pdf.w - qr_size) / 2, w=qr_size, h=qr_size, alt_text=alt)
    pdf.ln(3)

    starts_at, ends_at = invites.times_of(event, slot)
    sections: list[tuple[str, list[str]]] = [
        (_("When"), [timefmt.when(starts_at, ends_at, event["timezone"])]),
        (
            _("Where"),
            [
                ", ".join(
                    p
                    for p in (event["venue_name"], event["venue_address"], event["venue_postcode"])
                    if p
                )
            ],
        ),
    ]
    if event.get("access_notes"):
        sections.append((_("Getting in and access"), [str(event["access_notes"])]))
    sections.append((_("What to bring"), [_(item) for item in WHAT_TO_BRING]))
    for heading, paragraphs in sections:
        pdf.block("H2", heading, h, bold=True)
        for text in paragraphs:
            pdf.block("P", text, p)
    pdf.block(
        "P",
        _("Show this page at the door. The code is yours alone: do not share it."),
        f,
    )
    return bytes(pdf.output())


def poster_pdf(event: Row, partner_name: str, url: str) -> bytes:
    """A partner's A4 poster for one fair: its details and a QR code of the referral
    link (`url`, ending ?via=<code>), tagged like the ticket. In English: partners
    print it for their office."""
    with i18n.use("en"):

        def _(text: str) -> str:  # English only: the partner's office prints it
            return text

        pdf = _Pdf(format="A4", unit="mm")
        pdf.setup_fonts()
        pdf.set_lang("en-GB")
        pdf.set_title(pdf.safe(_("Poster: %(event)s") % {"event": event["title"]}))
        pdf.set_author(pdf.safe(partner_name))
        pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
        pdf.set_margins(20, 20, 20)
        pdf.set_auto_page_break(True, 20)
        pdf.add_page()
        with pdf.artifact():
            pdf.set_fill_color(0, 98, 94)
            pdf.rect(0, 0, pdf.w, 12, style="F")
        pdf.ln(4)
        pdf.block("H1", str(event["title"]), 32, bold=True)
        pdf.block("P", _("A free careers fair. Meet employers, ask about jobs and training."), 17)
        pdf.block("H2", _("When"), 18, bold=True)
        pdf.block("P", timefmt.when(event["starts_at"], event["ends_at"], event["timezone"]), 15)
        pdf.block("H2", _("Where"), 18, bold=True)
        place = (event["venue_name"], event["venue_address"], event["venue_postcode"])
        pdf.block("P", ", ".join(p for p in place if p), 15)
        if event.get("access_notes"):
            pdf.block("H2", _("Getting in and access"), 18, bold=True)
            pdf.block("P", str(event["access_notes"]), 14)
        pdf.block("H2", _("Register"), 18, bold=True)
        qr_size = 65.0
        alt = _("QR code: the link to register for this fair, %(url)s") % {"url": url}
        png = tickets.qr_png(url)
        pdf.image(io.BytesIO(png), x=(pdf.w - qr_size) / 2, w=qr_size, h=qr_size, alt_text=alt)
        pdf.ln(2)
        pdf.block("P", _("Scan the code with a phone camera, or type: %(url)s") % {"url": url}, 13)
        pdf.block(
            "P",
            _("No email address or phone? Ask %(partner)s to register you.")
            % {"partner": partner_name},
            14,
            bold=True,
        )
        return bytes(pdf.output())
