"""Property-based: the incidents engine as a state machine over the real store (SQLite).

Results arrive in any order, batches are replayed, the worker restarts from the database.
Invariants:
- no incident ever opens for a device while something it depends on is down;
- a replayed batch, or a tick with nothing new, creates no events;
- after a restart, the worker's state equals the state before it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sitekeeper.clock import FakeClock
from sitekeeper.incidents.correlate import Policy
from sitekeeper.incidents.worker import IncidentWorker
from sitekeeper.inventory.apply import apply_inventory
from sitekeeper.inventory.validate import parse_inventory
from sitekeeper.observation import Observation
from sitekeeper.results.ingest import Envelope, Ingestor
from sitekeeper.results.store import Store
from sitekeeper.state.model import DeviceStatus

SITE = """
defaults: {interval: 60s, max_attempts: 1, disable_checks: [icmp]}
clients:
  - id: acme
    sites:
      - id: hq
        devices:
          - {id: router, kind: router, address: 127.0.0.1}
          - {id: switch, kind: switch, address: 127.0.0.1, depends_on: [router]}
          - {id: ap, kind: access_point, address: 127.0.0.1, depends_on: [switch]}
          - {id: cam, kind: camera, address: 127.0.0.1, depends_on: [switch], profile_checks: false, checks: [{type: tcp, port: 9}]}
          - {id: nas, kind: nas, address: 127.0.0.1, depends_on: [router], profile_checks: false, checks: [{type: tcp, port: 9}]}
"""
DEVICES = ("router", "switch", "ap", "cam", "nas")


class Incidents(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.store = Store.from_url(f"sqlite:///{Path(self.tmp.name) / 's.db'}")
        self.clock = FakeClock(start=1_800_000_000.0)
        with self.store.session() as s:
            apply_inventory(s, parse_inventory(SITE), self.clock.now())
            s.commit()
        self.ingestor = Ingestor(self.store.engine)
        self.ingestor.refresh()
        self.worker = self._worker()
        self.seq = 0
        self.last_batch: list[Envelope] = []
        self.down: set[str] = set()
        self.ids = {i.device_key: i.device_id for i in self.ingestor.catalog.checks.values()}
        self.parents = {self.ids[k]: set() for k in DEVICES}
        for child, parent in (
            ("switch", "router"),
            ("ap", "switch"),
            ("cam", "switch"),
            ("nas", "router"),
        ):
            self.parents[self.ids[child]].add(self.ids[parent])
        self.report(frozenset())

    def _worker(self) -> IncidentWorker:
        worker = IncidentWorker(self.store, Policy(hold_down_s=5, suspect_extend_s=10, clear_s=5))
        worker.reload()
        return worker

    def teardown(self) -> None:
        self.store.close()
        self.tmp.cleanup()

    def ancestors(self, device_id: int) -> set[int]:
        out: set[int] = set()
        todo = list(self.parents[device_id])
        while todo:
            current = todo.pop()
            if current not in out:
                out.add(current)
                todo.extend(self.parents[current])
        return out

    @rule(failing=st.frozensets(st.sampled_from(DEVICES)), order=st.randoms())
    def report(self, failing: frozenset[str], order: object = None) -> None:
        """Every check reports; failing devices' checks fail. Arrival order is shuffled."""
        batch = []
        for info in self.ingestor.catalog.checks.values():
            self.seq += 1
            ok = info.device_key not in failing
            batch.append(
                Envelope(
                    "p",
                    self.seq,
                    Observation(info.id, self.clock.now(), ok, error=None if ok else "x"),
                )
            )
        if order is not None:
            order.shuffle(batch)  # type: ignore[attr-defined]
        self.ingestor.ingest(batch)
        self.last_batch = batch
        self.down = set(failing)

    @rule(seconds=st.sampled_from([1.0, 2.0, 5.0, 30.0]))
    def tick(self, seconds: float) -> None:
        self.clock.advance(seconds)
        report = self.worker.tick(self.clock.now())
        for event in report.events:
            if event.kind == "opened":
                root = event.incident.root
                raw = {
                    d for d, t in self.worker.state.tracks.items() if t.status is DeviceStatus.DOWN
                }
                assert not (self.ancestors(root) & raw), f"paged {root} behind a failed parent"

    @precondition(lambda self: bool(self.last_batch))
    @rule()
    def replay(self) -> None:
        """The same batch again (a collector resending after a lost acknowledgement)."""
        self.worker.tick(self.clock.now())  # take in what was new; then nothing is
        result = self.ingestor.ingest(self.last_batch)
        assert result.stored == 0 and not result.flips
        again = self.worker.tick(self.clock.now())
        assert again.events == [], again.events

    @rule()
    def restart(self) -> None:
        self.worker.tick(self.clock.now())  # settle what is due now
        before = (
            dict(self.worker.state.tracks),
            {k: v for k, v in self.worker.state.incidents.items() if v.open},
        )
        self.ingestor = Ingestor(self.store.engine)
        self.ingestor.refresh()
        self.worker = self._worker()
        self.worker._initialised = True
        after = (dict(self.worker.state.tracks), self.worker.state.incidents)
        assert before[1] == after[1]
        for device_id, track in before[0].items():
            assert after[0][device_id] == track, device_id

    @invariant()
    def one_open_incident_per_root(self) -> None:
        roots = [i.root for i in self.worker.state.incidents.values() if i.open]
        assert len(roots) == len(set(roots))


Incidents.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestIncidents = Incidents.TestCase
