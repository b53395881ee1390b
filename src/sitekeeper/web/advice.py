"""/clients/{key}/advice: the advisor's report for one client as a page — managed support or
break-fix, the numbers behind the verdict, the charts, the signs of outgrowing break-fix —
that also prints cleanly for a client meeting.

The page runs the same report as `sitekeeper advise` and the API
(`sitekeeper.advisor.report.advise`), tornado included, with ADVICE_TRIALS simulated years
per model (fewer than the command's 10,000, so a page answers in a couple of seconds); the
query string may restate the downtime cost, the business hours and the outage tolerance, as
the command's options do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from sitekeeper.api.deps import ClockDep
from sitekeeper.db import models as m
from sitekeeper.errors import NotFound
from sitekeeper.web.advice_history_svg import disruption, incidents
from sitekeeper.web.advice_svg import Chart, components, delta_vs_cost, histogram, tornado
from sitekeeper.web.render import render
from sitekeeper.web.security import PageError, PageScope

router = APIRouter(include_in_schema=False)

# simulated years per model; with the hybrid, the three-year view and the tornado (17 more
# runs of up to 2,000 years) the 40-device demo office takes about 2 s on 2 cores
ADVICE_TRIALS = 4_000
HOURS_CHOICES = {"office": "office (Mon–Fri 09:00–17:00)", "24x7": "24/7 (every hour counts)"}
ON_THIS_PAGE = "entered on this page"
MAX_COST = 1e9
MAX_TOLERANCE_H = 8760.0  # a year
SIGNAL_BADGE = {  # signal status -> (CSS class, symbol); the word is always shown
    "green": ("st-ok", "✔"),
    "amber": ("st-warn", "▲"),
    "red": ("st-down", "✖"),
    "n/a": ("st-unknown", "?"),
}
SWITCH_BADGE = {
    "outgrown break-fix": ("st-down", "✖"),
    "watch": ("st-warn", "▲"),
    "break-fix still fits": ("st-ok", "✔"),
}


@dataclass(frozen=True)
class Form:
    """What the user typed, shown back in the form as typed (valid or not)."""

    cost: str = ""
    hours: str = ""
    tolerance: str = ""


def _number(raw: str, label: str, example: str, high: float) -> tuple[float | None, str | None]:
    """A non-negative number from a form field ("1,500" is fine), or the error to show."""
    text = raw.strip().replace(",", "").replace("_", "")
    if not text:
        return None, None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= high:
        shown = raw.strip()[:40]
        return (
            None,
            f"{label}: {shown!r} is not a number from 0 to {high:,.0f}; enter e.g. {example}.",
        )
    return value, None


def parse_form(form: Form) -> tuple[dict[str, Any], list[str]]:
    """The overrides the query string states, and one clear message per bad field."""
    errors = []
    cost, err = _number(form.cost, "Downtime cost per hour", "660", MAX_COST)
    errors += [err] if err else []
    tolerance, err = _number(form.tolerance, "Outage tolerance", "8 (hours)", MAX_TOLERANCE_H)
    errors += [err] if err else []
    hours = form.hours.strip() or None
    if hours is not None and hours not in HOURS_CHOICES:
        errors.append(
            f"Business hours: {hours[:40]!r} is not one of {', '.join(HOURS_CHOICES)}; "
            "leave it empty for the client's own setting."
        )
        hours = None
    return {"downtime_cost": cost, "hours": hours, "tolerance_h": tolerance}, errors


def _client(scope: PageScope, key: str) -> m.Client:
    """The client by key, within the user's scope; another client's key gets the same 404 as
    a key that does not exist."""
    stmt = scope.where(select(m.Client).where(m.Client.key == key), m.Client.id)
    row = scope.session.scalar(stmt) if len(key) <= 200 else None
    if row is None:
        raise PageError(404, "Not found", f"no client {key[:40]!r}")
    return row


def _report(
    scope: PageScope, client: m.Client, overrides: dict[str, Any], now: float
) -> tuple[dict[str, Any] | None, str | None]:
    """The advisor's document, or why the client's settings cannot be simulated (e.g. no
    downtime cost); a PageError for a client out of scope, or when numpy is missing."""
    try:
        from sitekeeper.advisor.report import DEFAULT_SEED, advise
        from sitekeeper.advisor.settings import Overrides
        from sitekeeper.plan import PlanInputError
    except ImportError as err:
        raise PageError(
            503,
            "The advisor is not installed",
            f"The advisor needs numpy ({err.name}): pip install 'sitekeeper[plan]'.",
        ) from err
    ids = scope.principal.client_ids
    try:
        doc = advise(
            scope.session,
            client.key,
            Overrides(**overrides, source=ON_THIS_PAGE),
            ADVICE_TRIALS,
            DEFAULT_SEED,
            now=now,
            client_ids=None if ids is None else sorted(ids),
            with_tornado=True,
        )
    except NotFound as err:
        raise PageError(404, "Not found", str(err)) from err
    except PlanInputError as err:
        return None, str(err)
    return doc, None


def charts(doc: dict[str, Any]) -> dict[str, Chart]:
    """Every chart the document has data for, by kind, with ids unique on the page."""
    makers = (histogram, components, delta_vs_cost, tornado, incidents, disruption)
    drawn = (make(doc, f"advice-chart-{i}") for i, make in enumerate(makers, 1))
    return {c.kind: c for c in drawn if c is not None}


def _context(doc: dict[str, Any]) -> dict[str, Any]:
    from sitekeeper.cli.advise import headline

    return {
        "doc": doc,
        "headline": headline(doc),
        "charts": charts(doc),
        "signal_badge": SIGNAL_BADGE,
        "switch_badge": SWITCH_BADGE.get(doc["switch_verdict"], ("st-unknown", "?")),
        "components": ("fee", "labour", "hardware", "downtime", "security"),
    }


@router.get("/clients/{key}/advice")
def advice_page(
    request: Request,
    key: str,
    scope: PageScope,
    clock: ClockDep,
    cost: str = "",
    hours: str = "",
    tolerance: str = "",
) -> Response:
    client = _client(scope, key)
    form = Form(cost, hours, tolerance)
    now = clock.now()
    base: dict[str, Any] = {
        "client": client,
        "form": form,
        "hours_choices": HOURS_CHOICES,
        "trials": ADVICE_TRIALS,
        "prepared": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d"),
        "errors": [],
        "problem": None,
        "doc": None,
    }
    overrides, errors = parse_form(form)
    if errors:
        return render(request, "advice.html", {**base, "errors": errors}, status=400)
    doc, problem = _report(scope, client, overrides, now)
    if doc is None:
        # the page still answers: it says what is missing, and the form above can state it
        return render(request, "advice.html", {**base, "problem": problem})
    return render(request, "advice.html", {**base, **_context(doc)})
