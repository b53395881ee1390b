"""The scheduler: spreads checks over their interval, runs them with bounded concurrency,
never overlaps a check with itself, retries failing checks on their retry interval (Nagios
semantics), and measures start lateness and missed runs.

Each check keeps a grid: next due = last due + delay. If a run ends after its next slot
(or the collector fell behind), the slots in between are skipped and counted as missed,
rather than firing a burst to catch up.

When a check turns from OK to failing (or back), the device's other checks run at once
instead of waiting for their slots: a device that died is seen dead by all its checks
together (DOWN, not a trail of DEGRADED on the way), and one that came back, back at once.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sitekeeper.checks.specs_passive import PASSIVE_TYPES
from sitekeeper.clock import Clock
from sitekeeper.collector.sink import ResultSink
from sitekeeper.collector.stats import SchedulerStats
from sitekeeper.observation import Observation
from sitekeeper.results.catalog import CheckInfo
from sitekeeper.state.classify import classify, next_delay
from sitekeeper.state.model import CheckStatus

log = logging.getLogger(__name__)

RunFn = Callable[[CheckInfo], Awaitable[Observation]]
# Runs due within this much of each other start together: one wake-up of the dispatcher per
# batch rather than one per run (at 5,000 runs/s, slots are 0.2 ms apart). A run may start
# this much before its slot; its lateness then counts as 0.
EARLY_S = 0.002
_GOLDEN = 0.6180339887498949


def spread_offset(check_id: int, interval: float) -> float:
    """A stable offset in [0, interval): checks spread evenly instead of firing together."""
    return ((check_id * _GOLDEN) % 1.0) * interval


@dataclass
class _Entry:
    info: CheckInfo
    due: float
    generation: int = 0
    running: bool = False
    consecutive_non_ok: int = 0
    retired: bool = False


class Scheduler:
    def __init__(
        self,
        run: RunFn,
        sink: ResultSink,
        clock: Clock,
        *,
        concurrency: int = 500,
    ) -> None:
        self._run = run
        self._sink = sink
        self._clock = clock
        self._concurrency = concurrency
        self._entries: dict[int, _Entry] = {}
        self._by_device: dict[int, set[int]] = {}
        self._heap: list[tuple[float, int, int]] = []
        # The dispatcher is a plain loop callback on one timer (no task, no future per
        # wake-up): armed for the earliest due run, re-armed early only for a run due before.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.Handle | None = None
        self._armed_for = float("inf")  # monotonic time the timer fires at
        self._stopping = False
        self._waiting_for_room = False  # every slot taken: the next run to finish dispatches
        self._running: dict[int, asyncio.Task[None]] = {}  # strong references, by id(entry)
        self.stats = SchedulerStats()

    def __len__(self) -> int:
        return len(self._entries)

    def set_checks(self, checks: dict[int, CheckInfo]) -> None:
        """Add new checks, update changed ones, drop those no longer present. Passive checks
        (heartbeat, syslog, snmp_trap) are judged on arrival, never run: they are left out."""
        checks = {cid: i for cid, i in checks.items() if i.spec.type not in PASSIVE_TYPES}
        now = self._clock.monotonic()
        for cid in list(self._entries):
            if cid not in checks:
                gone = self._entries.pop(cid)
                gone.retired = True
                gone.generation += 1
        self._by_device = {}
        for cid, info in checks.items():
            self._by_device.setdefault(info.device_id, set()).add(cid)
        for cid, info in checks.items():
            entry = self._entries.get(cid)
            if entry is None:
                entry = _Entry(info=info, due=now + spread_offset(cid, info.spec.interval))
                self._entries[cid] = entry
                self._push(entry)
            elif entry.info != info:
                timing_changed = entry.info.spec.interval != info.spec.interval
                entry.info = info
                if timing_changed and not entry.running:
                    entry.generation += 1
                    entry.due = now + spread_offset(cid, info.spec.interval)
                    self._push(entry)

    def _push(self, entry: _Entry) -> None:
        heapq.heappush(self._heap, (entry.due, entry.info.id, entry.generation))
        if entry.due < self._armed_for:
            self._arm(0.0)

    def _arm(self, delay: float) -> None:
        """Dispatch `delay` seconds from now (replacing a later wake-up)."""
        loop = self._loop
        if loop is None or self._stopping:
            return  # run() dispatches when it starts
        if self._timer is not None:
            self._timer.cancel()
        self._armed_for = self._clock.monotonic() + delay
        if delay <= 0:
            self._timer = loop.call_soon(self._dispatch)
        else:
            self._timer = loop.call_later(delay, self._dispatch)

    async def run(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set; then wait for in-flight checks (each bounded by its deadline)."""
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._arm(0.0)
        try:
            await stop.wait()
        finally:
            self._stopping = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._armed_for = float("inf")
            if self._running:
                await asyncio.gather(*self._running.values(), return_exceptions=True)
            self._loop = None

    def _dispatch(self) -> None:
        """Start every check that is due (while there is room), then sleep until the next."""
        self._timer = None
        self._armed_for = float("inf")
        if self._stopping or self._loop is None:
            return
        delay = self._dispatch_due()
        # nothing scheduled (or no room): look again in a while
        self._arm(1.0 if delay is None else delay)

    def _dispatch_due(self) -> float | None:
        """Start every check that is due; return seconds until the next one (None if none,
        or if every slot is taken: then the next run to finish dispatches)."""
        loop = self._loop
        assert loop is not None
        now = self._clock.monotonic()
        started = 0
        heap, entries = self._heap, self._entries
        while heap:
            due, cid, gen = heap[0]
            if due > now + EARLY_S:
                return due - now
            if self.stats.in_flight >= self._concurrency:
                self._waiting_for_room = True
                return None
            heapq.heappop(heap)
            entry = entries.get(cid)
            if entry is None or entry.generation != gen:
                continue  # stale: rescheduled or removed
            if entry.running:
                self.stats.overlaps_prevented += 1
                continue  # rescheduled when the running one finishes
            entry.running = True
            self.stats.in_flight += 1
            self._running[id(entry)] = loop.create_task(self._execute(entry, due))
            started += 1
            if started >= 1000:
                return 0.0  # yield to the loop now and then under a large backlog
        return None

    def run_now(self, device_ids: set[int]) -> int:
        """Run these devices' checks as soon as possible (a re-probe asked for by the
        correlator). Checks running or about to run are left alone. Returns how many."""
        now = self._clock.monotonic()
        count = 0
        for device_id in device_ids:
            for cid in self._by_device.get(device_id, ()):
                entry = self._entries.get(cid)
                if entry is None or entry.running or entry.due <= now + 0.25:
                    continue
                entry.generation += 1
                entry.due = now
                self._push(entry)
                count += 1
        if count:
            self.stats.reprobed += count
        return count

    def _hurry_siblings(self, entry: _Entry, *, failing: bool) -> None:
        """Run the device's other checks now — those that have not yet seen the change
        (a sibling already failing is on its retry grid; running it again would count an
        extra attempt) and are not running or about to."""
        now = self._clock.monotonic()
        for cid in self._by_device.get(entry.info.device_id, ()):
            sibling = self._entries.get(cid)
            if sibling is None or sibling is entry or sibling.running or sibling.due <= now + 0.25:
                continue
            if (sibling.consecutive_non_ok > 0) == failing:
                continue
            sibling.generation += 1
            sibling.due = now
            self._push(sibling)
            self.stats.hurried += 1

    async def _execute(self, entry: _Entry, due: float) -> None:
        info = entry.info
        stats = self.stats
        try:
            try:
                stats.record_start(max(0.0, self._clock.monotonic() - due))
                if stats.in_flight > stats.max_in_flight:
                    stats.max_in_flight = stats.in_flight
                obs = await self._run(info)
            finally:
                stats.in_flight -= 1
                if self._waiting_for_room:  # a slot is free: start what waited for one
                    self._waiting_for_room = False
                    self._arm(0.0)
            status, _ = classify(obs, info.spec)
            was_ok = entry.consecutive_non_ok == 0
            entry.consecutive_non_ok = (
                0 if status is CheckStatus.OK else entry.consecutive_non_ok + 1
            )
            if was_ok != (status is CheckStatus.OK):
                self._hurry_siblings(entry, failing=status is not CheckStatus.OK)
            await self._sink.submit(obs)
        except asyncio.CancelledError:
            raise
        except Exception:  # never lose the schedule over one bad result
            log.exception("check %s: unexpected error after the probe", info.label)
            status = CheckStatus.UNKNOWN
        finally:
            entry.running = False
            self._running.pop(id(entry), None)
        if entry.retired:
            return
        delay = next_delay(entry.info.spec, status, entry.consecutive_non_ok)
        next_due = due + delay
        now = self._clock.monotonic()
        if next_due < now:
            skipped = int((now - next_due) // delay) + 1
            self.stats.missed += skipped
            next_due += skipped * delay
        entry.due = next_due
        entry.generation += 1
        self._push(entry)
