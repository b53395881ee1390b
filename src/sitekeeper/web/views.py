"""What the pages show, shaped from the read models. Every query goes through the `Scope`:
a technician gets their assigned clients, a client user only their own."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from sitekeeper.api.scope import Scope
from sitekeeper.db import models as m
from sitekeeper.inventory.graph import topological_order
from sitekeeper.inventory.kinds import System
from sitekeeper.results.overview import SEVERITY
from sitekeeper.results.problems import ListedProblem
from sitekeeper.results.queries import DeviceView, device_views
from sitekeeper.state.model import DEVICE_SEVERITY, DeviceStatus

STATUS_ORDER = [s.value for s in sorted(DeviceStatus, key=lambda s: -DEVICE_SEVERITY[s])]
MAX_PROBLEMS_SHOWN = 200  # a portfolio-wide outage should not make a 10 MB page


@dataclass(frozen=True)
class Tally:
    """Devices counted by status, for a system, a client or a site."""

    total: int
    counts: list[tuple[str, int]]  # most severe first, only statuses present
    worst: str
    problems: int

    @classmethod
    def of(cls, views: list[DeviceView]) -> Tally:
        by: dict[str, int] = {}
        for v in views:
            by[v.status] = by.get(v.status, 0) + 1
        return cls.counted(by, problems=sum(1 for v in views if v.is_problem))

    @classmethod
    def counted(cls, by: dict[str, int], problems: int) -> Tally:
        """From devices counted by status (those with none may be left out)."""
        counts = [(s, by[s]) for s in STATUS_ORDER if by.get(s)]  # most severe first
        return cls(
            total=sum(n for _, n in counts),
            counts=counts,
            worst=counts[0][0] if counts else DeviceStatus.UP.value,
            problems=problems,
        )

    @property
    def summary(self) -> str:
        if not self.total:
            return "no devices"
        noun = "device" if self.total == 1 else "devices"
        return f"{self.total} {noun}: " + ", ".join(f"{n} {s}" for s, n in self.counts)


@dataclass(frozen=True)
class Place:
    """A client or site as a row: where it is, and how it is doing."""

    id: int
    key: str
    name: str
    tally: Tally


def visible_devices(scope: Scope, now: float, client_key: str | None = None) -> list[DeviceView]:
    """Device views the principal may see, problems first; the query itself is narrowed by
    the scope (admins: every client)."""
    return device_views(
        scope.session,
        client=client_key,
        now=now,
        narrow=lambda stmt: scope.where(stmt, m.Device.client_id),
    )


def last_result(views: list[DeviceView]) -> float | None:
    return max((c.last_result_at or 0.0 for v in views for c in v.checks), default=None) or None


def sites(scope: Scope, client: m.Client, views: list[DeviceView]) -> list[Place]:
    stmt = scope.where(
        select(m.Site)
        .where(m.Site.client_id == client.id, m.Site.retired_at.is_(None))
        .order_by(m.Site.name),
        m.Site.client_id,
    )
    by_site: dict[str, list[DeviceView]] = {}
    for v in views:
        by_site.setdefault(v.site, []).append(v)
    rows = [
        Place(s.id, s.key, s.name, Tally.of(by_site.get(s.key, [])))
        for s in scope.session.scalars(stmt)
    ]
    return sorted(rows, key=problems_first)


def problems_first(p: Place) -> tuple[bool, int, str]:
    """Places with problems first, the worst first, then by name."""
    return (not p.tally.problems, -SEVERITY[p.tally.worst], p.name.lower())


def site_groups(views: list[DeviceView]) -> list[tuple[str, list[DeviceView]]]:
    """A site's devices grouped by system, each group dependency-ordered (parents first)."""
    order = {k: i for i, k in enumerate(topological_order({v.key: v.depends_on for v in views}))}
    by: dict[str, list[DeviceView]] = {s.value: [] for s in System}
    for v in views:
        by.setdefault(v.system, []).append(v)
    return [
        (system, sorted(vs, key=lambda v: order.get(v.key, len(order))))
        for system, vs in by.items()
        if vs
    ]


@dataclass(frozen=True)
class Names:
    """Ids and names for links: client key -> client, (client key, site key) -> site."""

    clients: dict[str, tuple[int, str]]
    sites: dict[tuple[str, str], tuple[int, str]]

    @classmethod
    def load(cls, scope: Scope) -> Names:
        """Every visible client and site."""
        cstmt = scope.where(select(m.Client.id, m.Client.key, m.Client.name), m.Client.id)
        sstmt = scope.where(
            select(m.Site.id, m.Client.key, m.Site.key, m.Site.name).join(
                m.Client, m.Client.id == m.Site.client_id
            ),
            m.Site.client_id,
        )
        return cls(
            clients={key: (cid, name) for cid, key, name in scope.session.execute(cstmt)},
            sites={(ck, sk): (sid, name) for sid, ck, sk, name in scope.session.execute(sstmt)},
        )

    @classmethod
    def of(cls, problems: Iterable[ListedProblem]) -> Names:
        """The clients and sites of listed problems, which carry their ids and names."""
        clients, sites = {}, {}
        for p in problems:
            clients[p.client] = (p.client_id, p.client_name)
            sites[p.client, p.site] = (p.site_id, p.site_name)
        return cls(clients=clients, sites=sites)


@dataclass(frozen=True)
class FlipRow:
    at: float
    what: str  # "device" or the check's name
    old: str
    new: str
    hard: bool
    reason: str


def device_flips(
    scope: Scope, device: m.Device, checks: dict[int, str], limit: int = 50
) -> list[FlipRow]:
    """The device's and its checks' status changes, newest first."""
    stmt = scope.where(
        select(m.Flip)
        .where(
            or_(
                and_(m.Flip.subject == "device", m.Flip.subject_id == device.id),
                and_(m.Flip.subject == "check", m.Flip.subject_id.in_(sorted(checks))),
            )
        )
        .order_by(m.Flip.at.desc(), m.Flip.id.desc())
        .limit(limit),
        m.Flip.client_id,
    )
    return [
        FlipRow(
            at=f.at,
            what="device" if f.subject == "device" else checks.get(f.subject_id, "check"),
            old=f.old,
            new=f.new,
            hard=f.hard,
            reason=f.reason,
        )
        for f in scope.session.scalars(stmt)
    ]


def device_checks(scope: Scope, device: m.Device) -> dict[int, m.Check]:
    stmt = scope.where(
        select(m.Check).where(m.Check.device_id == device.id, m.Check.retired_at.is_(None)),
        m.Check.client_id,
    )
    return {c.id: c for c in scope.session.scalars(stmt)}
