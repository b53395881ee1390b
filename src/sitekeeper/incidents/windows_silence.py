"""The silence stage (pure): alerts covered by an active maintenance window are not notified.

Silencing stops notifications only. The caller still records every flip and incident, and
puts each `Silenced` on the incident timeline ("suppressed by maintenance window 'Patch
Tuesday' (patch-tuesday) until 00:00"), so nothing that happened in a window is lost. When the
window ends (`MaintenanceWindow.next_change`), alerts that are still failing go through the
pipeline again and page as usual.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from sitekeeper.incidents.windows import MaintenanceWindow


class Targeted(Protocol):
    """What an alert is about: any object with these read-only attributes."""

    @property
    def client(self) -> str: ...

    @property
    def site(self) -> str | None: ...

    @property
    def device(self) -> str | None: ...

    @property
    def services(self) -> Collection[str]: ...


@dataclass(frozen=True, slots=True)
class Target:
    """The simplest `Targeted`: keys as written in the inventory."""

    client: str
    site: str | None = None
    device: str | None = None
    services: frozenset[str] = field(default_factory=frozenset)


A = TypeVar("A", bound=Targeted)


@dataclass(frozen=True, slots=True)
class Silenced(Generic[A]):
    """An alert a window silenced, and which window (for the incident timeline)."""

    alert: A
    window_id: str
    window_name: str
    until: float  # when the window's span in progress ends (UTC epoch seconds)

    @property
    def reason(self) -> str:
        return f"suppressed by maintenance window {self.window_name!r} ({self.window_id})"


def silence(
    alerts: Iterable[A], windows: Sequence[MaintenanceWindow], now: float
) -> tuple[list[A], list[Silenced[A]]]:
    """Split alerts into (kept, silenced). The first matching active window (in the order
    given) is the one recorded; windows are checked for time once per call."""
    active: list[tuple[MaintenanceWindow, float]] = []
    for window in windows:
        end = window.current_end(now)
        if end is not None:
            active.append((window, end))
    kept: list[A] = []
    silenced: list[Silenced[A]] = []
    for alert in alerts:
        hit = next(
            (
                (w, end)
                for w, end in active
                if w.matches(alert.client, alert.site, alert.device, alert.services)
            ),
            None,
        )
        if hit is None:
            kept.append(alert)
        else:
            silenced.append(Silenced(alert, hit[0].id, hit[0].name, hit[1]))
    return kept, silenced
