"""Ingest in batches leaves what the engine's plain rules give one result at a time, on
SQLite and PostgreSQL. The shortcuts ingest takes (steady checks noted, not evaluated;
classify skipped for checks without thresholds; one state write per check and batch;
results written in index order) must leave exactly the results, check states, check flips
and latency windows that `classify`, `judge`/`remember` and `evaluate` give result by
result, whatever the batches, and the device statuses `device_status` gives of those
states. A batch whose transaction fails leaves the ingestor's memory as it was."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError

from sitekeeper.db import models as m
from sitekeeper.inventory.apply import apply_inventory
from sitekeeper.inventory.validate import parse_inventory
from sitekeeper.observation import Observation, Value
from sitekeeper.results.catalog import Catalog
from sitekeeper.results.ingest import Envelope, Ingestor
from sitekeeper.results.store import Store
from sitekeeper.state.baseline import judge, remember
from sitekeeper.state.classify import classify
from sitekeeper.state.device import device_status
from sitekeeper.state.engine import evaluate
from sitekeeper.state.model import CheckState, CheckStatus, Policy

T0 = 1_800_000_000.0

# Two clients with the same devices: one is fed in batches, the other one result at a time.
# `web` has latency thresholds (classify runs for it); `ssh` is hard at the first problem.
_DEVICES = """
        devices:
          - {id: d1, kind: other, address: 192.0.2.1, profile_checks: false, checks: [
              {type: tcp, name: tcp, port: 22},
              {type: http, name: web, url: 'http://192.0.2.1/', warn_latency_ms: 400,
               crit_latency_ms: 800}]}
          - {id: d2, kind: other, address: 192.0.2.2, profile_checks: false, checks: [
              {type: tcp, name: ssh, port: 22, max_attempts: 1}]}
"""
SITE = "defaults: {max_attempts: 3}\nclients:\n" + "".join(
    f"  - id: {c}\n    sites:\n      - id: s\n{_DEVICES}" for c in ("batched", "single")
)
KINDS = ("ok", "slow", "fail", "timeout", "unknown", "nan")
_LETTER = {"OK": "O", "WARN": "W", "CRIT": "C", "UNKNOWN": "U"}
# every column of a check's state but its saved baseline (saved every so many results, so
# when depends on where batches end; the windows in memory are compared instead)
_STATE_COLUMNS = (
    "status",
    "state_type",
    "attempt",
    "hard_status",
    "since",
    "hard_since",
    "last_result_at",
    "flapping",
    "percent_change",
    "history",
    "reason",
    "latency_ms",
    "values",
    "error",
)

Step = tuple[int, float, str, float]  # check index, time, kind, latency


def _obs(check_id: int, at: float, kind: str, ms: float) -> Observation:
    if kind == "ok":
        return Observation(check_id, at, True, ms, {"connect_ms": ms})
    if kind == "slow":  # past the baseline once it has learnt, and past the web check's bounds
        return Observation(check_id, at, True, 900.0, {"connect_ms": 900.0})
    if kind == "fail":
        return Observation(check_id, at, False, error="connection refused")
    if kind == "timeout":  # the same status for another reason
        return Observation(check_id, at, False, error="timed out")
    if kind == "unknown":
        return Observation(check_id, at, None, error="not permitted")
    return Observation(check_id, at, True, ms, {"jitter": math.nan, "n": 1})


def _stored(values: dict[str, Value]) -> dict[str, Value | None]:
    """Values as their JSON column gives them back (NaN is null)."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in values.items()}


def reference(stream: list[Step], ids: list[int], catalog: Catalog) -> dict[str, Any]:
    """What the plain rules give, result by result: the store's rows, the devices' statuses
    and the memory."""
    states: dict[int, CheckState] = {}
    reasons: dict[int, str] = {}
    windows: dict[int, tuple[float, ...]] = {}
    results: list[tuple[object, ...]] = []
    rows: dict[int, tuple[object, ...]] = {}
    flips: list[tuple[object, ...]] = []
    for i, at, kind, ms in stream:
        obs = _obs(ids[i], at, kind, ms)
        spec = catalog.checks[ids[i]].spec
        status, reason = classify(obs, spec)
        if obs.ok and obs.latency_ms is not None:
            verdict = judge(windows.get(i, ()), obs.latency_ms)
            if status is CheckStatus.OK and spec.baseline and verdict and verdict.unusual:
                status, reason = CheckStatus.WARN, verdict.reason(obs.latency_ms)
            windows[i] = remember(windows.get(i, ()), obs.latency_ms)
        policy = Policy(max_attempts=spec.max_attempts)
        state, found = evaluate(states.get(i), status, reason, policy, at, ids[i])
        states[i] = state
        reasons[i] = "" if status is CheckStatus.OK else reason
        values = _stored(obs.values)
        results.append((i, at, status.value, obs.latency_ms, values or None, obs.error))
        flips += [(i, f.old, f.new, f.hard, f.reason, f.at) for f in found]
        rows[i] = (
            *(state.status.value, state.state_type.value, state.attempt),
            *(state.hard_status.value, state.since, state.hard_since, state.last_result_at),
            *(state.flapping, state.percent_change, "".join(_LETTER[s] for s in state.history)),
            *(reason, obs.latency_ms, values, obs.error),
        )
    memory = {i: (states.get(i), windows.get(i)) for i in range(len(ids))}
    devices = []
    for device_checks in catalog.device_checks.values():
        if not set(device_checks) & {ids[i] for i in states}:
            continue  # no result yet: no device state
        names = {c: catalog.checks[c].name for c in device_checks}
        by_id = {ids[i]: i for i in states}
        named = [(names[c], states.get(by_id[c]) if c in by_id else None) for c in device_checks]
        words = {names[c]: reasons[by_id[c]] if c in by_id else "" for c in device_checks}
        status, reason = device_status(named, set(), words)
        devices.append((status.value, reason))
    return {
        "results": sorted(results),
        "states": rows,
        "flips": flips,
        "devices": sorted(devices),
        "memory": memory,
    }


class World:
    """The store, the two clients' check ids (same order), and fresh ingestors."""

    def __init__(self, store: Store) -> None:
        self.store = store
        with store.session() as session:
            apply_inventory(session, parse_inventory(SITE), T0 - 86400)
            session.commit()
            self.checks = {
                key: list(
                    session.scalars(
                        select(m.Check.id)
                        .join(m.Client, m.Check.client_id == m.Client.id)
                        .where(m.Client.key == key)
                        .order_by(m.Check.id)
                    )
                )
                for key in ("batched", "single")
            }

    def reset(self) -> tuple[Ingestor, Ingestor]:
        with self.store.session() as session, session.begin():
            for table in (m.Result, m.CheckState, m.DeviceState, m.Flip, m.Collector):
                session.execute(delete(table))
        return self.fresh(), self.fresh()

    def fresh(self) -> Ingestor:
        ingestor = Ingestor(self.store.engine)
        ingestor.refresh()
        return ingestor

    def stored(self, key: str) -> dict[str, Any]:
        """What the store says about one client, its check ids replaced by their index."""
        index = {c: i for i, c in enumerate(self.checks[key])}
        ids = list(index)
        r, s, f = m.Result, m.CheckState, m.Flip
        with self.store.session() as session:
            results = sorted(
                (index[c], *rest)
                for c, *rest in session.execute(
                    select(r.check_id, r.at, r.status, r.latency_ms, r.values, r.error).where(
                        r.check_id.in_(ids)
                    )
                )
            )
            states = {
                index[row.check_id]: tuple(getattr(row, name) for name in _STATE_COLUMNS)
                for row in session.scalars(select(s).where(s.check_id.in_(ids)))
            }
            flips = [
                (index[c], *rest)
                for c, *rest in session.execute(
                    select(f.subject_id, f.old, f.new, f.hard, f.reason, f.at)
                    .where(f.subject == "check", f.subject_id.in_(ids))
                    .order_by(f.id)
                )
            ]
            devices = sorted(
                (d.status, d.reason)
                for d in session.scalars(
                    select(m.DeviceState)
                    .join(m.Client, m.DeviceState.client_id == m.Client.id)
                    .where(m.Client.key == key)
                )
            )
        return {"results": results, "states": states, "flips": flips, "devices": devices}

    def memory(self, key: str, ingestor: Ingestor) -> dict[int, Any]:
        """What an ingestor holds about one client's checks, by index."""
        states = ingestor.states()
        windows = ingestor._baselines
        return {
            i: (states.get(c), windows[c].latencies() if c in windows else None)
            for i, c in enumerate(self.checks[key])
        }


@pytest.fixture
def world(store: Store) -> World:
    """One inventory for all of a test's examples (each starts from `reset`)."""
    return World(store)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    warm=st.integers(0, 30),
    runs=st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(KINDS), st.integers(1, 25)), max_size=10
    ),
    sizes=st.lists(st.integers(1, 60), min_size=1, max_size=5),
    jitter=st.lists(st.floats(1.0, 6.0), min_size=1, max_size=7),
)
def test_batches_leave_what_the_rules_give_result_by_result(
    world: World,
    warm: int,
    runs: list[tuple[int, str, int]],
    sizes: list[int],
    jitter: list[float],
) -> None:
    batched, single = world.reset()
    # `warm` rounds of OKs for every check (21 make a check steady), then the runs
    plan = [(i, "ok") for _ in range(warm) for i in range(3)]
    plan += [(i, kind) for i, kind, n in runs for _ in range(n)]
    ms = itertools.cycle(jitter)
    stream = [(i, T0 + 10.0 * k, kind, round(next(ms), 3)) for k, (i, kind) in enumerate(plan)]
    expected = reference(stream, world.checks["batched"], batched.catalog)

    def envelopes(key: str) -> list[Envelope]:
        ids = world.checks[key]
        return [
            Envelope(key, seq, _obs(ids[i], at, kind, latency))
            for seq, (i, at, kind, latency) in enumerate(stream, start=1)
        ]

    pending = envelopes("batched")
    first: list[Envelope] = []
    for size in itertools.cycle(sizes):
        if not pending:
            break
        chunk, pending = pending[:size], pending[size:]
        first = first or chunk
        batched.ingest(chunk)
    for env in envelopes("single"):
        single.ingest([env])

    memory = expected.pop("memory")
    for key, ingestor in (("batched", batched), ("single", single)):
        assert world.stored(key) == expected, key
        assert world.memory(key, ingestor) == memory, key
        again = world.fresh()  # a restart reads back the states it holds
        assert {i: s for i, (s, _) in world.memory(key, again).items()} == {
            i: s for i, (s, _) in memory.items()
        }, key
    # a batch sent again changes nothing
    if first:
        replay = batched.ingest(first)
        assert (replay.stored, replay.duplicates, replay.flips) == (0, len(first), [])
        assert world.stored("batched") == expected


def test_a_batch_that_fails_to_commit_leaves_the_ingestor_as_it_was(world: World) -> None:
    ingestor = world.fresh()
    a, b, c = world.checks["batched"]
    seq = itertools.count(1)
    for k in range(30):  # steady, with learnt baselines
        at = T0 + 60.0 * k
        ingestor.ingest(
            [Envelope("c", next(seq), _obs(x, at + x, "ok", 3.0 + k % 3)) for x in (a, b)]
        )
    before = (world.memory("batched", ingestor), dict(ingestor._reasons), ingestor.states())
    # `c` has no state row yet and its check is gone from the store: its first state row
    # breaks the transaction after the batch has been judged in memory
    with world.store.session() as session, session.begin():
        session.execute(text("DELETE FROM checks WHERE id = :id"), {"id": c})
    at = T0 + 3600.0
    batch = [
        Envelope("c", next(seq), _obs(a, at, "slow", 0.0)),  # WARN: far slower than usual
        Envelope("c", next(seq), _obs(b, at, "ok", 4.0)),
        Envelope("c", next(seq), _obs(c, at, "fail", 0.0)),
    ]
    with pytest.raises(IntegrityError):
        ingestor.ingest(batch)
    after = (world.memory("batched", ingestor), dict(ingestor._reasons), ingestor.states())
    assert after == before
    # and the batch, sent again without the retired check, is applied once
    report = ingestor.ingest(batch[:2])
    assert report.stored == 2
    assert [(f.old, f.new) for f in report.flips if f.subject == "check"] == [("OK", "WARN")]
