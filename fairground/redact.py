"""Text for log lines, with personal data taken out.

A mail server that refuses a recipient usually echoes the address in its answer
("550 5.1.1 <amira@example.org>: Recipient address rejected"), and the exception
carries it too: logged as it is, every bounce would put an attendee's email in the
log. Logs keep ids (outbox message 12) instead; the full error stays in the
database, beside the recipient it belongs to, for the organiser's outbox page.
"""

from __future__ import annotations

import re

# Deliberately loose: anything with an @ between two runs of address characters.
_EMAIL = re.compile(r"[^\s<>()\[\]'\",;:]+@[^\s<>()\[\]'\",;:]+")


def redact(text: object) -> str:
    """`text` as a string, each email address replaced by `<address>`."""
    return _EMAIL.sub("<address>", str(text))
