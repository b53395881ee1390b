"""The embedded sink on a real store: everything submitted is stored, in batches no larger than
the limit, and a batch the database refuses for a while is retried until it is stored."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import func, select

from sitekeeper.db import models as m
from sitekeeper.inventory.apply import apply_inventory
from sitekeeper.inventory.validate import parse_inventory
from sitekeeper.observation import Observation
from sitekeeper.results.ingest import Envelope, Ingestor, IngestReport
from sitekeeper.results.sink import EmbeddedSink
from sitekeeper.results.store import Store

SITE = """
defaults: {max_attempts: 3, disable_checks: [icmp]}
clients:
  - id: acme
    sites:
      - id: hq
        devices:
          - {id: a, kind: other, address: 192.0.2.2, profile_checks: false, checks: [{type: tcp, port: 1}]}
          - {id: b, kind: other, address: 192.0.2.3, profile_checks: false, checks: [{type: tcp, port: 1}]}
"""


def _setup(store: Store) -> tuple[Ingestor, list[int]]:
    with store.session() as session:
        apply_inventory(session, parse_inventory(SITE), 1000.0)
        session.commit()
        ids = list(session.scalars(select(m.Check.id).order_by(m.Check.id)))
    ingestor = Ingestor(store.engine)
    ingestor.refresh()
    return ingestor, ids


def _last_seq(store: Store) -> int:
    """The last envelope the store acknowledged from the embedded collector."""
    return Ingestor(store.engine).high_water_mark("embedded")


def test_a_burst_is_stored_whole_in_batches_no_larger_than_the_limit(store: Store) -> None:
    ingestor, ids = _setup(store)
    sizes: list[int] = []

    def report(r: IngestReport) -> None:
        sizes.append(r.stored)

    async def main() -> EmbeddedSink:
        sink = EmbeddedSink(ingestor, max_batch=500, max_delay=0.05, on_report=report)
        await sink.start()
        for i in range(3000):
            await sink.submit(Observation(ids[i % 2], 2000.0 + i, True, latency_ms=1.0))
        await sink.flush()
        await sink.close()
        return sink

    sink = asyncio.run(main())
    assert sink.stored == 3000 == sum(sizes)
    assert max(sizes) <= 500
    assert _last_seq(store) == 3000


def test_results_trickling_in_are_gathered_into_one_batch_per_delay(store: Store) -> None:
    """One result every millisecond for 0.3 s with a 0.1 s delay: a few batches, not 300."""
    ingestor, ids = _setup(store)

    async def main() -> EmbeddedSink:
        sink = EmbeddedSink(ingestor, max_batch=2000, max_delay=0.1)
        await sink.start()
        for i in range(300):
            await sink.submit(Observation(ids[0], 3000.0 + i, True, latency_ms=1.0))
            await asyncio.sleep(0.001)
        await sink.close()
        return sink

    sink = asyncio.run(main())
    assert sink.stored == 300
    assert sink.batches < 30


def test_a_locked_database_delays_a_batch_but_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = Store.from_url(f"sqlite:///{path}")
    try:
        ingestor, ids = _setup(store)
        locker = sqlite3.connect(path, timeout=0, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # nobody else may write until it ends
        released = threading.Event()

        async def main() -> EmbeddedSink:
            sink = EmbeddedSink(ingestor, max_batch=100, max_delay=0.01)
            await sink.start()
            for i in range(250):
                await sink.submit(Observation(ids[1], 4000.0 + i, False, error="refused"))
            for _ in range(1200):  # at most a minute
                if sink.write_errors:
                    break
                await asyncio.sleep(0.05)
            locker.execute("COMMIT")
            released.set()
            await asyncio.wait_for(sink.flush(), 60)
            await sink.close()
            return sink

        sink = asyncio.run(asyncio.wait_for(main(), 120))
        assert released.is_set()
        assert sink.write_errors >= 1
        assert sink.last_error is None  # it recovered
        assert sink.stored == 250
        with store.session() as session:
            flips = session.scalar(select(func.count()).select_from(m.Flip))
        assert flips is not None and flips >= 1  # the failures went through the engine
        locker.close()
    finally:
        store.close()


def test_envelopes_are_numbered_from_the_stores_high_water_mark(store: Store) -> None:
    """A restarted sink continues the sequence, so a batch it re-sends is recognised."""
    ingestor, ids = _setup(store)
    ingestor.ingest([Envelope("embedded", 41, Observation(ids[0], 5000.0, True))])

    async def main() -> None:
        sink = EmbeddedSink(ingestor, max_delay=0.01)
        await sink.start()
        await sink.submit(Observation(ids[0], 5001.0, True))
        await sink.close()

    asyncio.run(main())
    assert _last_seq(store) == 42


def test_a_busy_flow_is_gathered_longer_and_a_trickle_is_not(store: Store) -> None:
    """Past `busy_at` results in a batch the sink gathers for `busy_delay` (bigger batches:
    fewer database pages written per result); when the flow falls back to a trickle, it
    writes after `max_delay` again."""
    ingestor, ids = _setup(store)
    sizes: list[int] = []
    waits: list[float] = []
    written = asyncio.Event()

    def report(r: IngestReport) -> None:
        sizes.append(r.stored)
        written.set()

    async def stored_after(sink: EmbeddedSink, observation: Observation) -> float:
        """Seconds from submitting one result until the sink has stored it."""
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        written.clear()
        await sink.submit(observation)
        await written.wait()
        return loop.time() - t0

    async def main() -> None:
        sink = EmbeddedSink(ingestor, max_delay=0.05, busy_delay=0.6, busy_at=20, on_report=report)
        await sink.start()
        at = 6000.0
        for _ in range(150):  # about 1.5 s of 20 results every 10 ms
            for _ in range(20):
                at += 1
                await sink.submit(Observation(ids[0], at, True, latency_ms=1.0))
            await asyncio.sleep(0.01)
        await sink.flush()
        for i in range(4):  # then a trickle: one result at a time
            waits.append(await stored_after(sink, Observation(ids[1], at + i + 1, True)))
        await sink.close()

    asyncio.run(main())
    assert sum(sizes) == 3004
    # the first batch gathered for max_delay; those after it, for busy_delay
    assert sizes[0] < 400
    assert max(sizes) >= 600
    # the first of the trickle still waits out the busy delay; from then on, max_delay
    assert 0.5 < waits[0] < 1.5, waits
    assert all(w < 0.4 for w in waits[1:]), waits


def test_flush_writes_what_is_gathering_at_once(store: Store) -> None:
    ingestor, ids = _setup(store)

    async def main() -> float:
        sink = EmbeddedSink(ingestor, max_delay=5.0)
        await sink.start()
        await sink.submit(Observation(ids[0], 7000.0, True))
        await asyncio.sleep(0.05)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await sink.flush()
        took = loop.time() - t0
        await sink.close()
        assert sink.stored == 1
        return took

    assert asyncio.run(main()) < 2.0
