"""The embedded results sink: observations are numbered (collector_id, seq), queued with a
bound (backpressure, never loss), and written to the store in batches from a worker thread.

A batch that fails to write (database locked, server restarting) is retried with backoff
until it is stored; it is never dropped. The high-water mark makes a retried batch that had
in fact committed a no-op.

How long a batch gathers depends on the flow: `max_delay` (0.2 s) while results trickle in,
`busy_delay` (1 s) once the last batch held `busy_at` (100) results or more. A batch's cost
is mostly the database pages it dirties (each check's state row and its place in the results
index), and at a thousand results a second a batch of a second shares those pages among
about twice as many results as one of 0.2 s (half the CPU per result in the ingest); next to
check intervals of ten seconds and more, a second is nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from sitekeeper.observation import Observation
from sitekeeper.results.ingest import Envelope, Ingestor, IngestReport

log = logging.getLogger(__name__)


class EmbeddedSink:
    def __init__(
        self,
        ingestor: Ingestor,
        collector_id: str = "embedded",
        *,
        max_batch: int = 2000,
        max_delay: float = 0.2,
        busy_delay: float = 1.0,
        busy_at: int = 100,
        capacity: int = 50_000,
        on_report: Callable[[IngestReport], None] | None = None,
    ) -> None:
        self._ingestor = ingestor
        self._collector_id = collector_id
        self._max_batch = max_batch
        self._max_delay = max_delay
        self._busy_delay = max(busy_delay, max_delay)
        self._busy_at = busy_at
        self._queue: asyncio.Queue[Envelope] = asyncio.Queue(maxsize=capacity)
        self._seq = 0
        self._task: asyncio.Task[None] | None = None
        self._on_report = on_report
        self._pending = 0  # submitted and not yet stored
        self._drained = asyncio.Event()
        self._drained.set()
        self._full = asyncio.Event()  # a whole batch is waiting: write without waiting longer
        self._flushing = False  # someone waits for everything to be stored: do not gather
        self.stored = 0
        self.batches = 0
        self.write_errors = 0
        self.last_error: str | None = None

    @property
    def queue_depth(self) -> int:
        return self._queue.qsize()

    async def start(self) -> None:
        self._seq = await asyncio.to_thread(self._ingestor.high_water_mark, self._collector_id)
        self._task = asyncio.create_task(self._writer(), name="results-writer")

    async def submit(self, observation: Observation) -> None:
        self._seq += 1
        self._pending += 1
        self._drained.clear()
        await self._queue.put(Envelope(self._collector_id, self._seq, observation))
        if self._queue.qsize() >= self._max_batch - 1:
            self._full.set()

    async def flush(self) -> None:
        """Write what is gathering now, and wait until everything submitted so far is stored."""
        if not self._drained.is_set():
            self._flushing = True  # no point gathering longer: someone waits for it
            self._full.set()
        await self._drained.wait()

    async def close(self) -> None:
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _writer(self) -> None:
        delay = self._max_delay
        while True:
            batch = [await self._queue.get()]
            # Gather for up to `delay` with one timed wait per batch (not one per result),
            # cut short when a whole batch is waiting.
            if self._queue.qsize() < self._max_batch - 1 and not self._flushing:
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), delay)
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except asyncio.QueueEmpty:
                    break
            await self._write(batch)
            delay = self._busy_delay if len(batch) >= self._busy_at else self._max_delay
            self._pending -= len(batch)
            if self._pending == 0:
                self._flushing = False
                self._drained.set()

    async def _write(self, batch: list[Envelope]) -> None:
        backoff = 0.2
        while True:
            try:
                report = await asyncio.to_thread(self._ingestor.ingest, batch)
            except SQLAlchemyError as err:
                self.write_errors += 1
                first = self.last_error is None
                self.last_error = str(err).splitlines()[0]
                if first:  # log once per outage, not on every retry
                    log.warning(
                        "cannot store results, retrying until it works: %s", self.last_error
                    )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if self.last_error is not None:
                log.warning("storing results again after %d failed attempts", self.write_errors)
                self.last_error = None
            self.stored += report.stored
            self.batches += 1
            if self._on_report is not None:
                self._on_report(report)
            return
