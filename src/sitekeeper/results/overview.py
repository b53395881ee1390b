"""The portfolio overview as SQL aggregates: devices counted by the status people see, per
client and system, and the first problem devices, without building a view of every device.

Each device's shown status and problem flag come from the device summary where a running
server keeps it (`results.summary`), with its counts per client, system and status, else
straight from the state tables (`results.shown`; the same rows, computed for this request).
One statement then sums the counts (or counts the computed rows) per client and per system
and picks the first problems (computed rows are a common table expression, which both
databases materialise when it is read more than once). The newest result of any visible
check, which the summary does not keep, is one more small query then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Double,
    Integer,
    String,
    case,
    cast,
    collate,
    func,
    literal,
    null,
    select,
    true,
)
from sqlalchemy.orm import Session

from sitekeeper.db import models as m
from sitekeeper.results import summary
from sitekeeper.results.queries import AnySelect
from sitekeeper.results.shown import Narrow, device_rows
from sitekeeper.state.model import DEVICE_SEVERITY, DeviceStatus

SEVERITY = {s.value: n for s, n in DEVICE_SEVERITY.items()}


@dataclass
class Counted:
    """Devices of one client, or of one system, by shown status, and how many of them are
    problems."""

    devices: dict[str, int]
    problems: int


@dataclass(frozen=True)
class Portfolio:
    by_client: dict[int, Counted]  # clients without devices are left out
    by_system: dict[str, Counted]  # every device counts once here
    last_result_at: float | None  # the newest result of any visible check
    problem_ids: list[int]  # the first problem devices (not UNREACHABLE), most severe first
    listed_problems: int  # problem devices that are not UNREACHABLE, all of them


def portfolio(
    session: Session, now: float, narrow: Narrow, limit: int, *, everyone: bool = False
) -> Portfolio:
    """Counts, freshness and the first `limit` listed problems for the devices `narrow` lets
    through (it adds the caller's scope, given the statement and its client_id column;
    `everyone` says it lets every client through)."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    kept = summary.usable(session, now)
    # the summary is read in place by each part (through its covering indexes); computed
    # rows are a common table expression, worked out once for all three parts
    dev: Any
    if kept:
        dev = summary.summary_rows(narrow).subquery("shown")
        problem = dev.c.problem == true()  # as the partial index of problem devices says
    else:
        dev = device_rows(now, narrow, postgresql=postgresql).cte("shown")
        problem = dev.c.problem == 1
    number, text = cast(null(), Integer), cast(null(), String)  # typed: PostgreSQL's union
    # (client, system, status, devices, problems): the kept counts, summed, or the rows counted
    c = m.SummaryCount
    cols: tuple[Any, ...] = (
        (c.client_id, c.system, c.status, func.sum(c.devices), func.sum(c.problems))
        if kept
        else (dev.c.client_id, dev.c.system, dev.c.status, func.count(), func.sum(dev.c.problem))
    )

    def counted(part: int) -> AnySelect:
        """Devices per client (part 0) or per system (part 1) and status; the newest result
        only per system (every device once), and only when computed."""
        client, system, status, n, problems = cols
        by = client if part == 0 else system
        newest = func.max(dev.c.last) if part == 1 and not kept else cast(null(), Double)
        stmt = select(
            literal(part).label("part"),
            (client if part == 0 else number).label("client_id"),
            (system if part == 1 else text).label("system"),
            status.label("status"),
            n.label("n"),
            problems.label("problems"),
            newest.label("last"),
            number.label("id"),
            number.label("criticality"),
            text.label("client_key"),
            text.label("key"),
        ).group_by(by, status)
        return narrow(stmt, c.client_id) if kept else stmt  # computed rows come narrowed

    first = _first_problems(dev, problem, limit, postgresql=postgresql).subquery("first")
    stmt = counted(0).union_all(
        counted(1),
        select(
            literal(2),
            first.c.client_id,
            first.c.system,
            first.c.status,
            literal(0),
            literal(0),
            cast(null(), Double),
            first.c.id,
            first.c.criticality,
            first.c.client_key,
            first.c.key,
        ),
    )
    by_client: dict[int, Counted] = {}
    by_system: dict[str, Counted] = {}
    picked: list[tuple[int, int, str, str, int]] = []  # (-severity, -criticality, keys, id)
    last: float | None = None
    listed = 0  # problems that are not UNREACHABLE
    # unpacked as tuples: a row per client and status, where named access costs more
    for (
        part,
        client_id,
        system,
        status,
        n,
        problems,
        newest,
        id_,
        crit,
        ckey,
        key,
    ) in session.connection().execute(stmt):  # Core rows: plain columns, no entities
        if part == 0:
            _add(by_client, client_id, status, n, problems)
        elif part == 1:
            _add(by_system, system, status, n, problems)
            if status != DeviceStatus.UNREACHABLE.value:
                listed += problems
            if newest is not None and (last is None or newest > last):
                last = float(newest)
        else:
            picked.append((-SEVERITY.get(status, 0), -crit, ckey, key, id_))
    picked.sort()  # the order device_views lists them in (a union keeps no order)
    if kept:
        last = _newest_result(session, narrow, everyone=everyone)
    return Portfolio(by_client, by_system, last or None, [p[-1] for p in picked], listed)


def _add(into: dict[Any, Counted], key: Any, status: str, n: int, problems: int) -> None:
    """One row of counts (a client's or a system's, in one status) into its `Counted`."""
    got = into.get(key)
    if got is None:
        into[key] = Counted({status: n}, problems)
    else:
        got.devices[status] = n  # one row per key and status
        got.problems += problems


def _newest_result(session: Session, narrow: Narrow, *, everyone: bool) -> float | None:
    """The newest result of any visible check. For every client, the newest any collector
    delivered (ingest keeps it on the collector's row: a few rows, where the check states are
    tens of thousands of wide ones); for some clients, a pass over their check states (a
    retired check has no new results, so its state need not be joined away)."""
    if everyone:
        newest = session.scalar(select(func.max(m.Collector.last_seen)))
    else:
        cs = m.CheckState
        newest = session.scalar(narrow(select(func.max(cs.last_result_at)), cs.client_id))
    return None if newest is None else float(newest)


def _first_problems(dev: Any, problem: Any, limit: int, *, postgresql: bool) -> AnySelect:
    """The first listed problem devices (`problem` tests a row), in device_views' order: most
    severe, most critical, then client and device key (byte order, as Python compares them)."""
    severity = case(SEVERITY, value=dev.c.status, else_=0)
    client_key: Any = m.Client.key
    device_key: Any = dev.c.key
    if postgresql:
        client_key, device_key = collate(client_key, "C"), collate(device_key, "C")
    return (
        select(
            dev.c.id,
            dev.c.client_id,
            dev.c.system,
            dev.c.status,
            dev.c.criticality,
            m.Client.key.label("client_key"),
            dev.c.key,
        )
        .join(m.Client, m.Client.id == dev.c.client_id)
        .where(problem, dev.c.status != DeviceStatus.UNREACHABLE.value)
        .order_by(severity.desc(), dev.c.criticality.desc(), client_key, device_key)
        .limit(limit)
    )
