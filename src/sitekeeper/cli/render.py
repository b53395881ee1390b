"""Rich renderings shared by `status` and the live demo view: problems first, words and
symbols as well as colour (never colour alone)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from sitekeeper.cli.common import ago
from sitekeeper.results.queries import CheckView, DeviceView, counts
from sitekeeper.statuswords import SYMBOL

STYLE = {
    "UP": "green",
    "OK": "green",
    "DEGRADED": "yellow",
    "WARN": "yellow",
    "DOWN": "bold red",
    "CRIT": "bold red",
    "UNREACHABLE": "magenta",
    "UNKNOWN": "dim",
    "MAINTENANCE": "blue",
    "ASLEEP": "blue",
}


STALE_AFTER_S = 300.0


def badge(status: str) -> Text:
    return Text(f"{SYMBOL.get(status, '?')} {status}", style=STYLE.get(status, ""))


def _check_summary(c: CheckView) -> Text:
    """`web ✔` when fine; the status and the reason when not (a soft state shows its attempt)."""
    text = Text()
    text.append(c.name)
    if c.stale:
        text.append(" (stale)", style="yellow")
    if c.status == "OK" and not c.flapping:
        text.append(" ✔", style="green")
        return text
    shown = f" {SYMBOL.get(c.status, '?')} {c.status}"
    if c.state_type == "SOFT" and c.status != "OK":
        shown += f" (soft {c.attempt}/{c.max_attempts})"
    text.append(shown, style=STYLE.get(c.status, ""))
    if c.flapping:
        text.append(" FLAPPING", style="bold magenta")
    if c.status != "OK" and c.reason:
        text.append(f": {c.reason}", style="dim")
    return text


def device_table(
    views: list[DeviceView], now: float, *, title: str | None = None, wide: bool = True
) -> Table:
    """One line per device where the width allows; `wide` adds the System column."""
    table = Table(title=title, expand=True, header_style="bold", pad_edge=False)
    table.add_column("Status", no_wrap=True)
    table.add_column("Device", no_wrap=True, overflow="ellipsis", max_width=28)
    table.add_column("Kind", no_wrap=True, overflow="ellipsis", max_width=18)
    if wide:
        table.add_column("System", no_wrap=True)
    table.add_column("Since", no_wrap=True)
    table.add_column("Checks", ratio=1)
    for v in views:
        checks = Text("  ").join(_check_summary(c) for c in v.checks) if v.checks else Text("—")
        row: list[Text | str] = [
            badge(v.status),
            Text(f"{v.client}/{v.key}" if v.client else v.key),
            v.kind.replace("_", " "),
        ]
        if wide:
            row.append(v.system)
        row += [ago(v.since, now) if v.since else "—", checks]
        table.add_row(*row)
    return table


def summary_line(views: list[DeviceView], last_result: float | None, now: float) -> Text:
    c = counts(views)
    text = Text()
    text.append(f"{len(views)} devices: ", style="bold")
    parts = []
    for status in ("DOWN", "UNREACHABLE", "DEGRADED", "UNKNOWN", "UP"):
        if c.get(status):
            parts.append(Text(f"{c[status]} {status}", style=STYLE[status]))
    text.append_text(Text(", ").join(parts) if parts else Text("none"))
    text.append(f"   last result {ago(last_result, now)}", style="dim")
    if last_result is not None and now - last_result > STALE_AFTER_S:
        text.append("  — no new results: is `sitekeeper up` running?", style="yellow")
    return text


def status_view(
    views: list[DeviceView],
    last_result: float | None,
    now: float,
    *,
    show_all: bool,
    wide: bool = True,
) -> RenderableType:
    problems = [v for v in views if v.is_problem]
    shown = views if show_all else problems
    parts: list[RenderableType] = [summary_line(views, last_result, now)]
    if shown:
        parts.append(device_table(shown, now, wide=wide))
    elif views:
        parts.append(Text("No problems: every device is up and every check OK.", style="green"))
    return Group(*parts)
