"""One batch of observations through the pure state engine, in memory: classify, baseline,
`evaluate`, in the batch's order, giving the result rows, each check's new state and latest
result, and the flips. No I/O: `sitekeeper.results.ingest` writes what this gives.

Most results are a steady OK (hard OK, 21 OKs of flap history, not flapping), for which the
engine's answer is "the same state, with a later latest result" (`engine.still_ok`). The
batch keeps the set of checks in that state and, for their OK results, only notes the time
in `seen`: a check's state is `still_ok(states[c], seen[c])` when it is in `seen`, else
`states[c]`, which is the state per-result evaluation gives, and no `CheckState` is built
for a check that stays steady. Likewise a check whose answered results are OK whatever
their values (`classify.ok_when_answered`) is not classified per result.

The engine's states and reasons are copies that replace the ingestor's after the commit;
the latency windows (60 numbers each, and all move in every batch) are changed in place,
with a journal, so that `undo` can restore them when the transaction fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from sitekeeper.checks.specs import CheckSpec
from sitekeeper.observation import Observation
from sitekeeper.results.catalog import Catalog
from sitekeeper.results.ingest_rows import Latest, encode_json
from sitekeeper.state.baseline import Window
from sitekeeper.state.classify import classify, ok_when_answered
from sitekeeper.state.engine import evaluate, steady_ok, still_ok
from sitekeeper.state.model import CheckState, CheckStatus, Flip, Policy

OK, WARN = CheckStatus.OK, CheckStatus.WARN
_VALUE = {s: s.value for s in CheckStatus}  # faster than the enum's `.value` per result


@dataclass(frozen=True, slots=True)
class Plan:
    """What ingest needs of one check, worked out once per catalog."""

    client_id: int
    device_id: int
    spec: CheckSpec
    policy: Policy
    ok_when_answered: bool  # an answered result is (OK, "ok"): no classify needed
    baseline: bool  # judge answered OK results against the latency baseline


_POLICIES: dict[int, Policy] = {}


def _policy(max_attempts: int) -> Policy:
    found = _POLICIES.get(max_attempts)
    if found is None:
        found = _POLICIES[max_attempts] = Policy(max_attempts=max_attempts)
    return found


def plans_for(catalog: Catalog) -> dict[int, Plan]:
    return {
        check_id: Plan(
            client_id=info.client_id,
            device_id=info.device_id,
            spec=info.spec,
            policy=_policy(info.spec.max_attempts),
            ok_when_answered=ok_when_answered(info.spec),
            baseline=info.spec.baseline,
        )
        for check_id, info in catalog.checks.items()
    }


def steady_checks(states: Mapping[int, CheckState], plans: Mapping[int, Plan]) -> set[int]:
    """The checks whose state is `steady_ok` under their policy."""
    return {
        check_id
        for check_id, state in states.items()
        if check_id in plans and steady_ok(state, plans[check_id].policy)
    }


def same_engine_state(a: CheckState, b: CheckState) -> bool:
    """Equal but for the time of the latest result and the flap history's contents (both
    go out with the small UPDATE of every result; whether there is a history at all tells
    a device's checks that have reported from those still pending)."""
    return (
        a.status is b.status
        and a.state_type is b.state_type
        and a.attempt == b.attempt
        and a.hard_status is b.hard_status
        and a.since == b.since
        and a.hard_since == b.hard_since
        and a.flapping == b.flapping
        and bool(a.history) == bool(b.history)
    )


class Batch:
    """One batch's working memory; see the module docstring."""

    def __init__(
        self,
        states: Mapping[int, CheckState],
        seen: Mapping[int, float],
        reasons: Mapping[int, str],
        steady: set[int],
        windows: dict[int, Window],
    ) -> None:
        self.states = dict(states)
        self.seen = dict(seen)  # steady check -> its latest result, if after its state's
        self.reasons = dict(reasons)  # "" for OK (the device's reason ignores those)
        self.steady = set(steady)  # checks whose state in `states` is steady_ok
        self.windows = windows  # the ingestor's own: changed in place, `undo` restores them
        self.moved: dict[int, Window] = {}  # the windows that took a latency in this batch
        # check id -> the index of its latest result in `results`, `_observed`, `_why`
        self.latest: dict[int, int] = {}
        # (client_id, check_id, at, status, latency_ms, values' JSON, error) per result
        self.results: list[tuple[object, ...]] = []
        self._observed: list[Observation] = []
        self._why: list[str] = []  # each result's reason
        self.flips: list[Flip] = []
        self.unknown = 0
        self._evaluated: set[int] = set()  # checks that went through `evaluate`
        # each `add` to a window and what it dropped, in order (two lists: a pair per result
        # would add to what the garbage collector counts, and it counts them all)
        self._added_to: list[Window] = []
        self._dropped: list[float | None] = []
        self._created: list[int] = []  # windows made in this batch

    def apply(self, observations: Iterable[Observation], plans: Mapping[int, Plan]) -> None:
        """Judge `observations` in order (one loop: it runs for every result)."""
        reasons, steady, seen = self.reasons, self.steady, self.seen
        moved, added_to, dropped = self.moved, self._added_to, self._dropped
        latest, results, observed, why = self.latest, self.results, self._observed, self._why
        value_of, dumps = _VALUE, encode_json
        for obs in observations:
            check_id = obs.check_id
            plan = plans.get(check_id)
            if plan is None:
                self.unknown += 1  # retired while the probe ran
                continue
            ok, latency = obs.ok, obs.latency_ms
            if ok and plan.ok_when_answered:
                status, reason = OK, "ok"
            else:
                status, reason = classify(obs, plan.spec)
            if ok and latency is not None:
                window = moved.get(check_id)
                if window is None:
                    window = moved[check_id] = self._window(check_id)
                if status is OK and plan.baseline:
                    verdict = window.unusual(latency)
                    if verdict is not None:  # online but uneven
                        status, reason = WARN, verdict.reason(latency)
                added_to.append(window)
                dropped.append(window.add(latency))
            values = obs.values
            values_json = dumps(values) if values else "null"
            at = obs.at
            results.append(
                (plan.client_id, check_id, at, value_of[status], latency, values_json, obs.error)
            )
            latest[check_id] = len(observed)
            observed.append(obs)
            why.append(reason)
            if status is OK:
                reasons[check_id] = ""
                if check_id in steady:
                    seen[check_id] = at  # evaluate would answer still_ok(state, at)
                    continue
            else:
                reasons[check_id] = reason
            self._evaluate(check_id, status, reason, plan.policy, at)

    def _window(self, check_id: int) -> Window:
        window = self.windows.get(check_id)
        if window is None:
            window = self.windows[check_id] = Window()
            self._created.append(check_id)
        return window

    def _evaluate(
        self, check_id: int, status: CheckStatus, reason: str, policy: Policy, at: float
    ) -> None:
        prev = self.states.get(check_id)
        last_ok = self.seen.pop(check_id, None)
        if prev is not None and last_ok is not None:
            prev = still_ok(prev, last_ok)
        state, flips = evaluate(prev, status, reason, policy, at, check_id)
        self.states[check_id] = state
        self._evaluated.add(check_id)
        if steady_ok(state, policy):
            self.steady.add(check_id)
        else:
            self.steady.discard(check_id)
        if flips:
            self.flips.extend(flips)

    def undo(self) -> None:
        """Restore the windows as they were before this batch (its transaction failed)."""
        for window, dropped in zip(reversed(self._added_to), reversed(self._dropped), strict=True):
            window.undo(dropped)
        for check_id in self._created:
            del self.windows[check_id]
        self._added_to.clear()
        self._dropped.clear()
        self._created.clear()

    def latest_results(self) -> Iterator[tuple[int, Latest]]:
        """Each check of this batch with its latest result."""
        results, observed, why = self.results, self._observed, self._why
        for check_id, i in self.latest.items():
            yield check_id, (observed[i], why[i], str(results[i][5]))

    def changed(self, before: Mapping[int, CheckState], said: Mapping[int, str]) -> set[int]:
        """The checks of this batch whose engine state or reason is not what it was
        (`before`, `said`). A check that only took steady OKs has its state as before."""
        reasons, states, evaluated = self.reasons, self.states, self._evaluated
        out: set[int] = set()
        for check_id in self.latest:
            old = before.get(check_id)
            if (
                old is None
                or said.get(check_id) != reasons[check_id]
                or (check_id in evaluated and not same_engine_state(old, states[check_id]))
            ):
                out.add(check_id)
        return out


def state_now(
    states: Mapping[int, CheckState], seen: Mapping[int, float], check_id: int
) -> CheckState:
    """A check's state: its last evaluated one, with the latest result `seen` since."""
    at = seen.get(check_id)
    state = states[check_id]
    return state if at is None else still_ok(state, at)
