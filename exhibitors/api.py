"""The exhibitors JSON API (API.md, "Exhibitors"): applications and decisions."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from events.guards import organiser_of_event
from events.services import get_event
from exhibitors import services, stands
from exhibitors.applications import apply_for_stand
from exhibitors.guards import organiser_of_exhibitor
from exhibitors.schemas import (
    ApplicationCreated,
    ApplicationIn,
    DecisionIn,
    DecisionOut,
    StandExhibitorOut,
    StandIn,
    StandNeeds,
    StandOut,
    StandPatch,
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


def _stand_fields(data: StandIn | StandPatch) -> dict[str, Any]:
    """The struct as the stands service takes it: `needs.power` becomes `power`."""
    raw = msgspec.structs.asdict(data)
    needs = raw.pop("needs", msgspec.UNSET)
    fields = {k: v for k, v in raw.items() if v is not msgspec.UNSET}
    if isinstance(needs, StandNeeds):
        fields["power"] = needs.power
    return fields


async def _stand_out(event_id: int, code: str) -> StandOut:
    every = await stands.stands_of_event(event_id)
    return next(_as_out(s) for s in every if s["code"] == code)


def _as_out(row: dict[str, Any]) -> StandOut:
    exhibitor = row["exhibitor"]
    return StandOut(
        code=row["code"],
        x=row["x"],
        y=row["y"],
        width=row["width"],
        depth=row["depth"],
        needs=StandNeeds(power=bool(row["power"])),
        exhibitor=StandExhibitorOut(exhibitor, row["exhibitor_name"]) if exhibitor else None,
    )


class StandApiController(Controller):
    """Stands on an event's floor plan, for integrators setting up a fair (the
    organiser's pages do the same through exhibitors.stands)."""

    path = "/api/v1/events/{slug:str}/stands"
    tags = ["stands"]
    guards = [organiser_of_event]

    @get("/", summary="The event's stands, with the exhibitor on each (its organisers)")
    async def list_stands(self, slug: FromPath[str]) -> list[StandOut]:
        event = await get_event(slug)
        return [_as_out(s) for s in await stands.stands_of_event(event["id"])]

    @post("/", summary="Add a stand to the floor plan (the event's organisers)")
    async def create_stand(
        self, slug: FromPath[str], data: JSONBody[StandIn]
    ) -> Response[StandOut]:
        event = await get_event(slug)
        fields = stands.check_stand(_stand_fields(data))
        await stands.create_stand(event["id"], fields)
        return Response(await _stand_out(event["id"], fields["code"]), status_code=201)

    @patch("/{stand_code:str}", summary="Move, resize or recode a stand (its organisers)")
    async def change_stand(
        self, slug: FromPath[str], stand_code: FromPath[str], data: JSONBody[StandPatch]
    ) -> StandOut:
        event = await get_event(slug)
        code = await stands.change_stand(event["id"], stand_code, _stand_fields(data))
        return await _stand_out(event["id"], code)

    @delete("/{stand_code:str}", summary="Remove a stand nobody is on (its organisers)")
    async def delete_stand(self, slug: FromPath[str], stand_code: FromPath[str]) -> None:
        event = await get_event(slug)
        await stands.delete_stand_by_code(event["id"], stand_code)


ROUTES: list[Any] = [ExhibitorApiController, StandApiController]
