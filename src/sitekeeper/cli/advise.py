"""`sitekeeper advise CLIENT`: managed support or break-fix, for one client.

Reads the client's devices, `service:` settings and history (imported tickets and recorded
incidents) from the store, calibrates, simulates both support models on common random numbers
and prints the verdict, the numbers behind it, the switch signals and what was assumed
(docs/advisor.md). The API and the dashboard show the same report.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from sitekeeper.cli.common import EXIT_INVALID, console, fail, handle_errors, open_store, print_json

DEFAULT_SEED = 20240601
DEFAULT_TRIALS = 10_000
MIN_STEADY_TRIALS = 1_000  # below this the spread of the answer is itself uncertain
COMPONENTS = ("fee", "labour", "hardware", "downtime", "security")
STATUS_STYLE = {"green": "green", "amber": "yellow", "red": "red", "n/a": "dim"}


class Hours(StrEnum):
    """Business-hours presets the model's schedule supports."""

    OFFICE = "office"  # Mon–Fri 09:00–17:00
    ALWAYS = "24x7"  # every hour counts: homes, hospitality, some AV


def headline(doc: dict[str, Any]) -> str:
    """The report's first sentence (spec §5), shared with the dashboard."""
    d, tol = doc["delta"], doc["inputs"]["tolerance_hours"]
    saver = "Managed" if d["mean"] >= 0 else "Break-fix"
    bf = doc["break_fix"]["p_longest_outage_over_tolerance"]
    ms = doc["managed"]["p_longest_outage_over_tolerance"]
    return (
        f"{saver} is expected to save {abs(d['mean']):,.0f}/yr (±{d['se']:,.0f}); managed is "
        f"cheaper in {d['p_managed_cheaper']:.0%} of simulated years; break-fix exceeds your "
        f"{tol:g} h outage tolerance in {bf:.0%} of years versus {ms:.0%} under managed."
    )


def _costs(doc: dict[str, Any]) -> Table:
    table = Table(header_style="bold")
    table.add_column("per year")
    table.add_column("break-fix", justify="right")
    table.add_column("managed", justify="right")
    bf, ms = doc["break_fix"], doc["managed"]
    for label, key in (("mean cost", "mean"), ("P50", "p50"), ("P90", "p90"), ("P99", "p99")):
        table.add_row(label, f"{bf[key]:,.0f}", f"{ms[key]:,.0f}")
    for comp in COMPONENTS:
        table.add_row(
            f"  {comp}", f"{bf['components'][comp]:,.0f}", f"{ms['components'][comp]:,.0f}"
        )
    table.add_row("downtime hours", f"{bf['downtime_hours']:.1f}", f"{ms['downtime_hours']:.1f}")
    tol = doc["inputs"]["tolerance_hours"]
    table.add_row(
        f"P(longest outage > {tol:g} h)",
        f"{bf['p_longest_outage_over_tolerance']:.0%}",
        f"{ms['p_longest_outage_over_tolerance']:.0%}",
    )
    return table


def _signals(doc: dict[str, Any]) -> None:
    hist = doc["history"]
    if not doc["signals"]:
        console.print(f"Signs of outgrowing break-fix: {escape(doc['switch_verdict'])}")
        return
    console.print(
        f"[bold]Signs of outgrowing break-fix[/] (last {hist['window_months']} months, "
        f"{hist['window_events']} tickets and incidents): [bold]{escape(doc['switch_verdict'])}[/]"
    )
    table = Table(header_style="bold")
    table.add_column("sign")
    table.add_column("status")
    table.add_column("why")
    for s in doc["signals"]:
        style = STATUS_STYLE[s["status"]]
        table.add_row(s["name"], f"[{style}]{s['status']}[/]", escape(s["reason"]))
    console.print(table)


def _explain(doc: dict[str, Any]) -> None:
    """The hybrid option, the 3-year view and (when asked for) the tornado."""
    h = doc.get("hybrid")
    total = doc["inputs"]["devices"]
    if h and not h["devices"]:
        console.print("Hybrid: no single device is worth managing on its own downtime savings.")
    elif h and len(h["devices"]) == total:
        console.print("Hybrid: every device is worth managing, so the hybrid is full managed.")
    elif h:
        shown = ", ".join(h["devices"][:8]) + (" ..." if len(h["devices"]) > 8 else "")
        console.print(
            f"Hybrid (manage only {len(h['devices'])} of {total} devices, those with the "
            f"largest blast radius: {escape(shown)}): mean {h['summary']['mean']:,.0f}/yr, saves "
            f"{h['saves_vs_break_fix']:,.0f} against break-fix and "
            f"{h['saves_vs_managed']:,.0f} against full managed; cheapest on average: "
            f"{h['best']}",
            highlight=False,
        )
    c = doc.get("three_year")
    if c:
        years = "; ".join(
            f"year {y['year']}: {y['break_fix']:,.0f} vs {y['managed']:,.0f}" for y in c["years"]
        )
        console.print(
            f"Three years (break-fix vs managed): {years}; total {c['break_fix_total']:,.0f} "
            f"vs {c['managed_total']:,.0f} (years 2 and 3 are indicative: each starts from "
            "today's devices, aged, without the replacements of the years before)",
            highlight=False,
        )
    bars = doc.get("tornado")
    if bars:
        table = Table(header_style="bold", title="What moves the answer (Δ = what managed saves)")
        for col in ("input", "low → high", "Δ at low", "Δ at high", "swing", "flips at"):
            table.add_column(col, justify="left" if col == "input" else "right")
        for b in bars:
            flip = (
                "—"
                if b["flip"] is None
                else f"{b['flip']:,.4g}" + ("" if b["flip_exact"] else " ≈")
            )
            table.add_row(
                escape(b["label"]),
                f"{b['low']:,.4g} → {b['high']:,.4g}",
                f"{b['delta_low']:,.0f}",
                f"{b['delta_high']:,.0f}",
                f"{b['swing']:,.0f}",
                flip,
            )
        console.print(table)


def _print(doc: dict[str, Any]) -> None:
    colour = {"managed": "green", "break-fix": "cyan", "borderline": "yellow"}[doc["verdict"]]
    console.print(
        f"[bold]{escape(doc['client'])}[/] (now {escape(doc['plan'])}): "
        f"[bold {colour}]{doc['verdict']}[/] — {escape(doc['reason'])}"
    )
    console.print(escape(headline(doc)), highlight=False)
    if doc["inputs"]["trials"] < MIN_STEADY_TRIALS:
        console.print(
            f"[yellow]note:[/] only {doc['inputs']['trials']:,} simulated years: the numbers "
            f"are rough; use --trials {DEFAULT_TRIALS:,} for a firm answer"
        )
    console.print(_costs(doc))
    be = doc["break_even"]
    be_cost = be["downtime_cost_per_hour"]
    console.print(
        "What would change the answer: "
        + (
            f"a downtime cost of {be_cost:,.0f}/h"
            if be_cost is not None
            else (
                "none — managed costs less even if downtime cost nothing"
                if doc["delta"]["mean"] > 0
                else "no downtime cost makes managed pay"
            )
        )
        + f"; managed {'stays' if doc['delta']['mean'] > 0 else 'becomes'} cheaper up to a "
        f"total fee of {be['monthly_fee']:,.0f}/month (now "
        f"{doc['managed']['components']['fee'] / 12:,.0f})",
        highlight=False,
    )
    drivers = doc.get("drivers") or []
    if drivers:
        console.print("[bold]Top drivers[/] (what managed saves, + , or costs, −, a year):")
        for d in drivers[:5]:
            console.print(f"  {d['amount']:+,.0f}  {escape(d['text'])}", highlight=False)
    _explain(doc)
    _signals(doc)
    cal = doc["calibration"]
    console.print(
        f"Own data: {doc['history']['events']} tickets and incidents over "
        f"{doc['history']['months_of_history']:g} months carry "
        f"{cal['frailty_credibility']:.0%} of the weight (frailty {cal['frailty_mean']:.2f})",
        highlight=False,
    )
    run = doc["inputs"]
    console.print(
        f"Simulated {run['trials']:,} years per support model, seed {run['seed']} "
        "(--trials, --seed: the same seed gives the same numbers)",
        highlight=False,
    )
    console.print("[bold]Assumed[/] (docs/advisor.md says how to change each):")
    for line in doc["assumptions"]:
        console.print(f"  - {escape(line)}", highlight=False)


@handle_errors
def advise(
    client: Annotated[str, typer.Argument(help="The client's id (as in the inventory file).")],
    downtime_cost: Annotated[
        float | None,
        typer.Option(
            "--downtime-cost",
            min=0.0,
            max=1e9,
            help="Cost of one hour with the whole site down. Default: the client's "
            "`service: downtime_cost`, or the bottom-up estimate from `employees`.",
        ),
    ] = None,
    hours: Annotated[
        Hours | None,
        typer.Option(
            help="Business hours: office (Mon–Fri 9–17) or 24x7. Default: the inventory's."
        ),
    ] = None,
    tolerance_hours: Annotated[
        float | None,
        typer.Option(
            min=0.0, help="Longest acceptable single outage, in business hours (default 8)."
        ),
    ] = None,
    trials: Annotated[
        int, typer.Option(min=2, max=1_000_000, help="Simulated years per support model.")
    ] = DEFAULT_TRIALS,
    seed: Annotated[
        int, typer.Option(min=0, help="Random seed; the same seed, the same numbers.")
    ] = DEFAULT_SEED,
    with_tornado: Annotated[
        bool,
        typer.Option(
            "--tornado", help="Also vary each uncertain input low→high (about 15 more runs)."
        ),
    ] = False,
    json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Managed support or break-fix for CLIENT: expected annual cost of each, with the spread,
    the break-even, the top drivers and the signs of outgrowing break-fix.

    Exit code 2 for an unknown client or invalid input."""
    try:
        from sitekeeper.advisor.report import advise as report
        from sitekeeper.advisor.settings import Overrides
        from sitekeeper.plan import PlanInputError
    except ModuleNotFoundError as err:
        fail(f"the advisor needs numpy ({err.name} is missing): pip install 'sitekeeper[plan]'")
    from sitekeeper.errors import NotFound

    overrides = Overrides(downtime_cost, hours.value if hours else None, tolerance_hours)
    store = open_store()
    try:
        with store.session() as session:
            try:
                if json:
                    doc = report(
                        session, client, overrides, trials, seed, with_tornado=with_tornado
                    )
                else:
                    with console.status(f"simulating {trials:,} years ..."):
                        doc = report(
                            session, client, overrides, trials, seed, with_tornado=with_tornado
                        )
            except NotFound as err:
                fail(f"{err}; add it with `sitekeeper inventory apply FILE`", code=EXIT_INVALID)
            except PlanInputError as err:
                fail(str(err), code=EXIT_INVALID)
    finally:
        store.close()
    if json:
        print_json(doc)
    else:
        _print(doc)
