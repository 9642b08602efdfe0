"""Exhibitor rules."""

from __future__ import annotations

from exhibitors.tables import Exhibitor, ExhibitorStaff
from fairground.errors import NotFound


async def add_exhibitor_staff(exhibitor_id: int, user_id: int) -> None:
    """Make a user staff of an exhibitor (once)."""
    if not await Exhibitor.exists().where(Exhibitor.id == exhibitor_id):
        raise NotFound(
            f"No exhibitor has the id {exhibitor_id}", fields={"exhibitor": "Unknown exhibitor"}
        )
    if not await ExhibitorStaff.exists().where(
        (ExhibitorStaff.exhibitor == exhibitor_id) & (ExhibitorStaff.user == user_id)
    ):
        await ExhibitorStaff.insert(ExhibitorStaff(exhibitor=exhibitor_id, user=user_id))
