"""The exhibitors JSON API (API.md, "Exhibitors"): applications and decisions."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.params import FromPath, JSONBody

from exhibitors import services
from exhibitors.applications import apply_for_stand
from exhibitors.guards import organiser_of_exhibitor
from exhibitors.schemas import (
    ApplicationCreated,
    ApplicationIn,
    DecisionIn,
    DecisionOut,
    VerificationOut,
)
from fairground.accounts import current_principal


class ExhibitorApiController(Controller):
    path = "/api/v1"
    tags = ["exhibitors"]

    @post(
        "/events/{slug:str}/exhibitors",
        opt={"public_post": True},
        summary="Apply for a stand (public)",
    )
    async def apply(
        self, slug: FromPath[str], data: JSONBody[ApplicationIn]
    ) -> Response[ApplicationCreated]:
        result = await apply_for_stand(slug, msgspec.to_builtins(data))
        checked = result.verification
        body = ApplicationCreated(
            id=result.id,
            status=result.status,
            verification=VerificationOut(
                status=checked.status, reason=checked.reason or None, detail=checked.detail
            ),
        )
        return Response(body, status_code=201)

    @post(
        "/exhibitors/{exhibitor_id:int}/decision",
        guards=[organiser_of_exhibitor],
        status_code=200,
        summary="Approve, waitlist or reject an application (the event's organisers)",
    )
    async def decide(
        self,
        request: Request[Any, Any, Any],
        exhibitor_id: FromPath[int],
        data: JSONBody[DecisionIn],
    ) -> DecisionOut:
        choice = services.Decision(data.decision, (data.stand or "").strip(), data.message)
        actor = current_principal(request).id
        row = await services.decide_exhibitor_by_id(exhibitor_id, choice, actor)
        return DecisionOut(
            id=row["id"],
            status=row["status"],
            stand=row["stand"]["code"] if row["stand"] else None,
            message=row["decision_message"],
        )


ROUTES: list[Any] = [ExhibitorApiController]
