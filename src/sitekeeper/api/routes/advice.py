"""GET /clients/{client_id}/advice: the advisor's report for one client, as JSON.

The same document as `sitekeeper advise CLIENT --json` (docs/advisor.md): the verdict,
both support models' cost distributions, the break-evens, the switch signals, the
calibration and the data behind the dashboard's plots. Query parameters override the
client's `service:` settings for this call only; nothing is stored.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query

from sitekeeper.api.deps import ScopeDep
from sitekeeper.api.errors import ApiError
from sitekeeper.api.routes._common import Id, error_doc

router = APIRouter(tags=["advisor"])

MAX_TRIALS = 20_000


class Hours(StrEnum):
    office = "office"
    always = "24x7"


@router.get(
    "/clients/{client_id}/advice",
    summary="Managed service or break-fix for this client: the advisor's report",
    responses={409: error_doc("The client's settings or inventory cannot be simulated yet")},
)
def get_advice(
    client_id: Id,
    scope: ScopeDep,
    cost: Annotated[
        float | None, Query(ge=0, le=1e9, description="Downtime cost per hour of the whole site")
    ] = None,
    hours: Annotated[Hours | None, Query(description="Business hours: office or 24x7")] = None,
    tolerance: Annotated[
        float | None, Query(ge=0, le=8784, description="Longest acceptable P1 outage, hours")
    ] = None,
    trials: Annotated[int, Query(ge=100, le=MAX_TRIALS, description="Simulated years")] = 4000,
    seed: Annotated[int, Query(ge=0, le=2**63 - 1, description="Random seed")] = 20240601,
    tornado: Annotated[
        bool, Query(description="Also vary each uncertain input low→high (slower)")
    ] = False,
) -> dict[str, Any]:
    from sitekeeper.advisor.report import advise
    from sitekeeper.advisor.settings import Overrides
    from sitekeeper.plan import PlanInputError

    client = scope.client(client_id)
    try:
        doc = advise(
            scope.session,
            client.key,
            Overrides(cost, hours.value if hours else None, tolerance, source="request"),
            trials=trials,
            seed=seed,
            with_tornado=tornado,
        )
    except PlanInputError as err:
        raise ApiError(409, str(err), code="cannot_advise") from None
    return {"client_id": client.id, **doc}


class Plans(StrEnum):
    break_fix = "break-fix"
    all = "all"


@router.get(
    "/advice/signs",
    summary="The portfolio: which clients show the signs of outgrowing break-fix",
)
def get_portfolio(
    scope: ScopeDep,
    plan: Annotated[
        Plans,
        Query(description="break-fix: break-fix and hybrid clients only; all: every client"),
    ] = Plans.break_fix,
) -> dict[str, Any]:
    import dataclasses

    from sitekeeper.advisor.portfolio import portfolio

    ids = scope.principal.client_ids
    rows = portfolio(
        scope.session,
        client_ids=None if ids is None else sorted(ids),
        plans=() if plan is Plans.all else ("break-fix", "hybrid"),
    )
    return {"items": [dataclasses.asdict(r) for r in rows]}
