"""The REST API under /api/v1: one module per resource, each with an APIRouter, included here.

Every operation answers failures with the common error body (sitekeeper.api.errors), and
documents it; every route reads client data through the caller's `Scope`. The tenancy test
(tests/api/test_tenancy.py) exercises every operation in the OpenAPI document as each persona,
so a route added here without an entry there fails the tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NoReturn

from fastapi import APIRouter, Security
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from sitekeeper.api.errors import ApiError
from sitekeeper.api.routes import (
    advice,
    checks,
    clients,
    devices,
    flips,
    history,
    incidents,
    inventory,
    me,
    overview,
    run,
    sites,
    tokens,
    users,
)
from sitekeeper.api.routes._common import ERRORS

MODULES = (
    me,
    overview,
    clients,
    advice,
    sites,
    devices,
    checks,
    history,
    run,
    flips,
    incidents,
    inventory,
    tokens,
    users,
)
EVERY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY")

# Documents how to authenticate (the work is done by sitekeeper.api.deps); browser sessions
# use the dashboard's cookie instead.
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token: `Authorization: Bearer skt_...` (create one with POST /tokens).",
)


def _not_allowed(allowed: list[str]) -> Callable[[], Awaitable[NoReturn]]:
    allow = ", ".join(allowed)

    async def method_not_allowed() -> NoReturn:
        raise ApiError(405, f"this resource answers {allow}", headers={"Allow": allow})

    return method_not_allowed


def method_fallbacks(routers: list[APIRouter]) -> APIRouter:
    """405 with every method a path answers in `Allow`. (Starlette names only the methods of
    the first route on the path, so GET /tokens and POST /tokens would each hide the other.)"""
    methods: dict[str, set[str]] = {}
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                methods.setdefault(route.path, set()).update(route.methods or ())
    fallback = APIRouter(include_in_schema=False)
    for path, allowed in methods.items():
        others = [m for m in EVERY_METHOD if m not in allowed]
        fallback.add_api_route(
            path, _not_allowed(sorted(allowed)), methods=others, response_model=None
        )
    return fallback


api_router = APIRouter(dependencies=[Security(bearer)], responses=ERRORS)
for module in MODULES:
    api_router.include_router(module.router)
api_router.include_router(method_fallbacks([module.router for module in MODULES]))
