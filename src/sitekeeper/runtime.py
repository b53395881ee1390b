"""The embedded runtime: collector + results sink + state engine + retention on one store,
in one process. `sitekeeper up` and `sitekeeper demo` run this.

It follows inventory changes: every few seconds it looks at the inventory version in the
store, and when `sitekeeper inventory apply` changed something, it reloads the checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sitekeeper.clock import Clock, SystemClock
from sitekeeper.collector.passive import PassiveHub, PassiveOptions
from sitekeeper.collector.runner import run_check
from sitekeeper.collector.scheduler import Scheduler
from sitekeeper.credentials import resolve_all
from sitekeeper.errors import SitekeeperError
from sitekeeper.incidents.correlate import Policy
from sitekeeper.incidents.pipeline import Pipeline
from sitekeeper.incidents.worker import IncidentWorker
from sitekeeper.inventory.apply import inventory_version
from sitekeeper.notify.worker import OutboxWorker, WorkerOptions
from sitekeeper.observation import Observation
from sitekeeper.probes.icmp import close_shared as close_icmp
from sitekeeper.probes.snmp import close_shared as close_snmp
from sitekeeper.protocols.http import HttpSessions
from sitekeeper.results import summary
from sitekeeper.results.catalog import CheckInfo
from sitekeeper.results.ingest import Ingestor, IngestReport
from sitekeeper.results.retention import RetentionReport, maintain
from sitekeeper.results.sink import EmbeddedSink
from sitekeeper.results.store import Store
from sitekeeper.secrets import SecretBox
from sitekeeper.settings import Settings

log = logging.getLogger(__name__)


def settle_heap() -> None:
    """Move the long-lived objects (catalog, states, schedule) out of the garbage collector's
    sight. Otherwise every full collection walks all of them: with 10,000 checks that is a
    100+ ms pause of the event loop, which shows up as check start lateness."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


@dataclass
class RuntimeOptions:
    collector_id: str = "embedded"
    concurrency: int = 500
    reload_every_s: float = 2.0
    freeze_every_s: float = 30.0
    incidents_every_s: float = 1.0
    escalate_every_s: float = 30.0
    correlation: Policy = field(default_factory=Policy)
    public_url: str = "http://127.0.0.1:8470"  # links in notifications
    data_dir: Path | None = None  # where the secret key lives (notification channels)
    outbox: WorkerOptions = field(default_factory=WorkerOptions)
    retention_every_s: float = 3600.0
    raw_retention_days: float = 14.0
    rollup_retention_days: float = 400.0
    # syslog and trap receivers (off unless given) and the heartbeat ticker
    passive: PassiveOptions = field(default_factory=PassiveOptions)

    @classmethod
    def from_settings(cls, settings: Settings) -> RuntimeOptions:
        return cls(
            collector_id=settings.collector_id,
            concurrency=settings.concurrency,
            raw_retention_days=settings.raw_retention_days,
            rollup_retention_days=settings.rollup_retention_days,
            correlation=Policy(
                hold_down_s=settings.hold_down_s,
                suspect_extend_s=settings.suspect_extend_s,
                clear_s=settings.clear_s,
            ),
            public_url=settings.public_url or f"http://{settings.listen}",
            data_dir=Path(settings.data_dir),
            passive=PassiveOptions(
                syslog_listen=settings.syslog_listen,
                trap_listen=settings.trap_listen,
                trap_communities=settings.trap_community_list,
            ),
        )


class EmbeddedRuntime:
    def __init__(
        self,
        store: Store,
        options: RuntimeOptions | None = None,
        clock: Clock | None = None,
        on_change: Callable[[], None] | None = None,
        on_report: Callable[[IngestReport], None] | None = None,
    ) -> None:
        self.store = store
        self.options = options or RuntimeOptions()
        self.clock = clock or SystemClock()
        self.box = self._secret_box()
        self.ingestor = Ingestor(store.engine, credentials=lambda s: resolve_all(s, self.box))
        self.http = HttpSessions()
        self.sink = EmbeddedSink(self.ingestor, self.options.collector_id, on_report=on_report)
        self.scheduler = Scheduler(
            self._run, self.sink, self.clock, concurrency=self.options.concurrency
        )
        self._version = -1
        self._on_change = on_change
        self.running = False
        self.pipeline = Pipeline(public_url=self.options.public_url)
        self.incidents = IncidentWorker(store, self.options.correlation, on_events=self.pipeline)
        self.outbox: OutboxWorker | None = None
        self.passive = PassiveHub(store, self.sink, self.clock, self.options.passive)

    async def _run(self, info: CheckInfo) -> Observation:
        return await run_check(info, self.clock, self.http)

    async def reload_if_changed(self) -> bool:
        version = await asyncio.to_thread(self._read_version)
        if version == self._version:
            return False
        self._version = version
        await asyncio.to_thread(self.ingestor.refresh)
        self.scheduler.set_checks(self.ingestor.catalog.checks)
        await self.passive.reload(self.ingestor.catalog)
        await asyncio.to_thread(self.incidents.reload)
        settle_heap()
        log.info("monitoring %d checks (inventory version %d)", len(self.scheduler), version)
        if self._on_change is not None:
            self._on_change()
        return True

    def _read_version(self) -> int:
        with self.store.session() as session:
            return inventory_version(session)

    async def run(self, stop: asyncio.Event) -> None:
        await self.reload_if_changed()
        await self.sink.start()
        await self.passive.start()
        self.outbox = self._outbox_worker()
        self.running = True
        tasks = [
            asyncio.create_task(self.scheduler.run(stop), name="scheduler"),
            asyncio.create_task(self._reload_loop(stop), name="reload"),
            asyncio.create_task(self._retention_loop(stop), name="retention"),
            asyncio.create_task(self._incident_loop(stop), name="incidents"),
            asyncio.create_task(self.passive.run(stop), name="passive"),
        ]
        if self.outbox is not None:
            tasks.append(asyncio.create_task(self.outbox.run(stop), name="outbox"))
        try:
            await stop.wait()
        finally:
            self.running = False
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.passive.close()
            await self.sink.close()  # everything probed is stored before we exit
            await self.http.close()
            await close_snmp()  # the SNMP checks' shared UDP socket
            await close_icmp()  # the icmp checks' shared ICMP sockets

    async def _reload_loop(self, stop: asyncio.Event) -> None:
        last_freeze = self.clock.monotonic()
        while not stop.is_set():
            if self.clock.monotonic() - last_freeze > self.options.freeze_every_s:
                # Survivors since the last freeze are long-lived (states, sessions): keep the
                # collector's full passes short. Reference counting still frees them.
                gc.freeze()
                last_freeze = self.clock.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.options.reload_every_s)
            if stop.is_set():
                return
            try:
                await self.reload_if_changed()
            except Exception:  # a database hiccup must not stop monitoring
                log.exception("could not reload the inventory; keeping the current checks")

    def _secret_box(self) -> SecretBox | None:
        """The store's secret key: channels and device credentials are stored encrypted."""
        if self.options.data_dir is None:
            return None
        try:
            return SecretBox.for_data_dir(self.options.data_dir)
        except SitekeeperError as err:
            log.error("notifications and device credentials are off: %s", err)
            return None

    def _outbox_worker(self) -> OutboxWorker | None:
        box = self.box
        if box is None:
            return None
        return OutboxWorker(
            self.store, box, http=self.http, clock=self.clock, options=self.options.outbox
        )

    async def _incident_loop(self, stop: asyncio.Event) -> None:
        """Correlate every second (sooner when a decision falls due); re-probe on request;
        escalate unacknowledged incidents now and then; wake the outbox after queueing; sweep
        the overview's summary every SWEEP_EVERY_S (in this loop, so never while a tick
        writes it)."""
        next_escalation = next_sweep = 0.0
        while not stop.is_set():
            delay = self.options.incidents_every_s
            if self.clock.monotonic() >= next_sweep:  # the overview's summary, in turn
                next_sweep = self.clock.monotonic() + summary.SWEEP_EVERY_S
                try:
                    await asyncio.to_thread(self.incidents.sweep, self.clock.now())
                except Exception:  # the overview computes its rows meanwhile
                    log.exception("overview summary sweep failed; retrying")
            try:
                report = await asyncio.to_thread(self.incidents.tick, self.clock.now())
                if report.reprobe:
                    self.scheduler.run_now(report.reprobe)
                if report.next_wakeup is not None:
                    delay = max(0.05, min(delay, report.next_wakeup - self.clock.now()))
                if self.clock.monotonic() >= next_escalation:
                    next_escalation = self.clock.monotonic() + self.options.escalate_every_s
                    await asyncio.to_thread(self._escalate)
                if self.pipeline.queued and self.outbox is not None:
                    self.pipeline.queued = 0
                    self.outbox.wake()
            except Exception:  # a database hiccup must not stop correlation for good
                log.exception("incident correlation failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)

    def _escalate(self) -> None:
        with self.store.session() as session, session.begin():
            self.pipeline.escalate(session, self.clock.now())

    async def _retention_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                r = await asyncio.to_thread(self._maintain)
                log.info(
                    "retention: %d hour(s) rolled up, %d raw result(s) and %d rollup(s) deleted",
                    r.hours_rolled,
                    r.raw_deleted,
                    r.rollups_deleted,
                )
            except Exception:
                log.exception("retention pass failed; will try again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.options.retention_every_s)

    def _maintain(self) -> RetentionReport:
        with self.store.session() as session, session.begin():
            return maintain(
                session,
                self.clock.now(),
                self.options.raw_retention_days,
                self.options.rollup_retention_days,
            )
