"""Ingest on SQLite and PostgreSQL: observations become results, states and flip rows;
a batch sent twice is applied once."""

from __future__ import annotations

from sqlalchemy import func, select

from sitekeeper.db import models as m
from sitekeeper.inventory.apply import apply_inventory
from sitekeeper.inventory.validate import parse_inventory
from sitekeeper.observation import Observation
from sitekeeper.results.ingest import Envelope, Ingestor
from sitekeeper.results.queries import device_views
from sitekeeper.results.store import Store

SITE = """
defaults: {max_attempts: 3, disable_checks: [icmp]}
clients:
  - id: acme
    sites:
      - id: hq
        devices:
          - id: sw
            kind: switch
            address: 192.0.2.2
"""


def _setup(store: Store) -> tuple[Ingestor, int]:
    with store.session() as session:
        apply_inventory(session, parse_inventory(SITE), 1000.0)
        session.commit()
        check_id = session.scalar(select(m.Check.id))
    assert check_id is not None
    ingestor = Ingestor(store.engine)
    ingestor.refresh()
    return ingestor, check_id


def _obs(check_id: int, at: float, ok: bool) -> Observation:
    if ok:
        return Observation(check_id, at, True, latency_ms=3.0, values={"http_status": 200})
    return Observation(check_id, at, False, error="connection refused")


class Feeder:
    def __init__(self, ingestor: Ingestor, check_id: int) -> None:
        self.ingestor, self.check_id, self.seq = ingestor, check_id, 0

    def send(self, at: float, ok: bool):  # type: ignore[no-untyped-def]
        self.seq += 1
        return self.ingestor.ingest([Envelope("c1", self.seq, _obs(self.check_id, at, ok))])


def test_three_failures_make_the_check_hard_crit_and_the_device_down(store: Store) -> None:
    ingestor, cid = _setup(store)
    feed = Feeder(ingestor, cid)
    feed.send(1000, True)
    r1 = feed.send(1010, False)
    assert [(f.old, f.new, f.hard) for f in r1.flips] == [("OK", "CRIT", False)]
    feed.send(1013, False)
    r3 = feed.send(1016, False)
    kinds = [(f.subject, f.old, f.new, f.hard) for f in r3.flips]
    assert ("check", "OK", "CRIT", True) in kinds
    assert ("device", "UP", "DOWN", True) in kinds
    with store.session() as session:
        [view] = device_views(session)
        assert view.status == "DOWN"
        assert view.checks[0].hard_status == "CRIT"
        assert view.checks[0].reason == "connection refused"
        assert session.scalar(select(func.count()).select_from(m.Result)) == 4
        flips = session.execute(
            select(m.Flip.subject, m.Flip.new, m.Flip.hard).order_by(m.Flip.id)
        ).all()
        assert ("device", "DOWN", True) in flips
        assert session.scalar(
            select(func.count()).select_from(m.Flip).where(m.Flip.processed_at.is_(None))
        ) == len(flips)


def test_recovery_is_a_hard_flip_back_to_ok_and_up(store: Store) -> None:
    ingestor, cid = _setup(store)
    feed = Feeder(ingestor, cid)
    for t in (1000, 1003, 1006):
        feed.send(t, False)
    r = feed.send(1016, True)
    kinds = {(f.subject, f.old, f.new, f.hard) for f in r.flips}
    assert ("check", "CRIT", "OK", True) in kinds
    assert ("device", "DOWN", "UP", True) in kinds


def test_a_batch_sent_twice_is_applied_once(store: Store) -> None:
    ingestor, cid = _setup(store)
    batch = [Envelope("c1", i + 1, _obs(cid, 1000 + i, False)) for i in range(3)]
    first = ingestor.ingest(batch)
    second = ingestor.ingest(batch)
    assert first.stored == 3 and second.stored == 0 and second.duplicates == 3
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(m.Result)) == 3
        state = session.get(m.CheckState, cid)
        assert state is not None and state.attempt == 3
    assert ingestor.high_water_mark("c1") == 3


def test_each_collector_keeps_the_newest_result_of_its_latest_batch(store: Store) -> None:
    ingestor, cid = _setup(store)

    def seen() -> dict[str, float | None]:
        with store.session() as session:
            return dict(session.execute(select(m.Collector.id, m.Collector.last_seen)).all())

    first = [Envelope("c1", 1, _obs(cid, 1005.0, True)), Envelope("c1", 2, _obs(cid, 1003.0, True))]
    ingestor.ingest(first)
    ingestor.ingest([Envelope("c2", 1, _obs(cid, 1001.0, True))])
    assert seen() == {"c1": 1005.0, "c2": 1001.0}
    ingestor.ingest([Envelope("c2", 1, _obs(cid, 1009.0, True))])  # a duplicate: ignored
    assert seen() == {"c1": 1005.0, "c2": 1001.0}
    # a result stamped far ahead (a collector's clock gone wrong) is not kept for good
    ingestor.ingest([Envelope("c1", 3, _obs(cid, 9_000_000.0, True))])
    assert seen()["c1"] == 9_000_000.0
    ingestor.ingest([Envelope("c1", 4, _obs(cid, 1010.0, True))])
    assert seen() == {"c1": 1010.0, "c2": 1001.0}


def test_states_survive_a_restart(store: Store) -> None:
    ingestor, cid = _setup(store)
    feed = Feeder(ingestor, cid)
    feed.send(1000, False)
    feed.send(1003, False)
    again = Ingestor(store.engine)
    again.refresh()
    r = again.ingest([Envelope("c1", 3, _obs(cid, 1006, False))])
    assert any(f.subject == "check" and f.hard for f in r.flips)  # third attempt: hard


def test_observations_of_retired_checks_are_ignored(store: Store) -> None:
    ingestor, _cid = _setup(store)
    r = ingestor.ingest([Envelope("c1", 1, _obs(99999, 1000, False))])
    assert r.stored == 0 and r.unknown_checks == 1


def test_a_check_far_slower_than_usual_is_warn_then_the_device_degraded(store: Store) -> None:
    ingestor, cid = _setup(store)
    seq = 0
    t = 1000.0
    for _ in range(30):  # it usually answers in about 3 ms
        seq += 1
        ingestor.ingest([Envelope("c1", seq, Observation(cid, t, True, latency_ms=3.0))])
        t += 10
    reports = []
    for _ in range(3):  # then 900 ms, three times (max_attempts 3)
        seq += 1
        reports.append(
            ingestor.ingest([Envelope("c1", seq, Observation(cid, t, True, latency_ms=900.0))])
        )
        t += 10
    flips = [(f.subject, f.old, f.new, f.hard) for r in reports for f in r.flips]
    assert ("check", "OK", "WARN", True) in flips
    assert ("device", "UP", "DEGRADED", True) in flips
    with store.session() as session:
        [view] = device_views(session)
        assert view.status == "DEGRADED"
        assert "usually 3 ms" in (view.checks[0].reason or "")


def test_values_json_has_no_words_for_nan_and_keeps_integers_past_64_bits(store: Store) -> None:
    """Values are stored as JSON: NaN (a probe's 'no figure') as null, and an integer too big
    for the fast encoder (an SNMP Counter64 sum, say) exactly, through the fallback."""
    ingestor, cid = _setup(store)
    big = 2**70 + 1
    obs = Observation(
        cid, 2000.0, True, latency_ms=1.0, values={"jitter": float("nan"), "octets": big}
    )
    ingestor.ingest([Envelope("c1", 1, obs)])
    with store.session() as session:
        stored = session.scalar(select(m.Result.values).where(m.Result.check_id == cid))
    assert stored == {"jitter": None, "octets": big}


def test_the_stored_state_is_the_engines_after_every_result(store: Store) -> None:
    """Steady results go out as a small UPDATE (not a whole state row): a restarted ingest
    reads back exactly the states the running one holds, flap history included."""
    ingestor, cid = _setup(store)
    feed = Feeder(ingestor, cid)
    for i, ok in enumerate([True] * 5 + [False] * 3 + [True] * 30):
        feed.send(1000 + 10 * i, ok)
        again = Ingestor(store.engine)
        again.refresh()
        assert again.states() == ingestor.states(), f"after result {i + 1}"
    assert len(ingestor.states()[cid].history) == 21
