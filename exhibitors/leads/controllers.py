"""Leads routes: the JSON API and the pages of every audience."""

from __future__ import annotations

from typing import Any

from exhibitors.leads.api import ROUTES as API_ROUTES
from exhibitors.leads.attendee_pages import AttendeeLeadController, ErasedController
from exhibitors.leads.council_pages import CouncilLeadsController
from exhibitors.leads.organiser_pages import OrganiserLeadsController
from exhibitors.leads.partner_pages import ROUTES as PARTNER_PAGES
from exhibitors.leads.partners import ROUTES as PARTNER_ROUTES
from exhibitors.leads.stand_pages import StandLeadsController, StandServiceWorkerController

ROUTES: list[Any] = [
    *API_ROUTES,
    *PARTNER_ROUTES,
    *PARTNER_PAGES,
    AttendeeLeadController,
    ErasedController,
    CouncilLeadsController,
    OrganiserLeadsController,
    StandLeadsController,
    StandServiceWorkerController,
]
