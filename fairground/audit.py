"""The audit log: who did what to which record."""

from __future__ import annotations

from typing import Any

from fairground.tables import AuditLog


async def record_audit(
    actor_id: int | None, action: str, obj: tuple[str, object], **detail: Any
) -> None:
    """Append one audit row; `obj` is (type, id)."""
    object_type, object_id = obj
    await AuditLog.insert(
        AuditLog(
            actor=actor_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            detail=detail,
        )
    )
