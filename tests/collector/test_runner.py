"""run_check's guard: a probe that overruns its deadline is cut off GRACE_S later with a
timeout Observation, while a cancellation from outside (the collector stopping) still
cancels the check."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from sitekeeper.checks.specs import TcpCheck
from sitekeeper.clock import SystemClock
from sitekeeper.collector import runner
from sitekeeper.observation import Observation
from sitekeeper.probes import PROBES
from sitekeeper.probes.base import ProbeContext, Target
from sitekeeper.protocols.http import HttpSessions
from sitekeeper.results.catalog import CheckInfo


def tcp_info(timeout: float = 0.2) -> CheckInfo:
    return CheckInfo(
        id=7,
        client_id=1,
        device_id=3,
        device_key="nvr",
        client_key="c",
        name="tcp",
        address="127.0.0.1",
        port=9,
        spec=TcpCheck.model_validate({"port": 9, "interval": 10.0, "timeout": timeout}),
    )


async def sleeps_past_its_deadline(target: Target, spec: object, ctx: ProbeContext) -> Observation:
    await asyncio.sleep(30)
    return ctx.observation(target, ok=True, started=time.time())


async def swallows_the_cut(target: Target, spec: object, ctx: ProbeContext) -> Observation:
    with contextlib.suppress(asyncio.CancelledError):  # a badly written probe
        await asyncio.sleep(30)
    return ctx.observation(target, ok=None, started=time.time(), error="late")


@pytest.fixture
def short_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "GRACE_S", 0.1)


async def run(info: CheckInfo) -> Observation:
    http = HttpSessions()
    try:
        return await runner.run_check(info, SystemClock(), http)
    finally:
        await http.close()


def assert_no_cancellation_left() -> None:
    """The check's task is not left with a pending cancellation: it can go on awaiting."""
    current = asyncio.current_task()
    assert current is not None and current.cancelling() == 0


@pytest.mark.usefixtures("short_grace")
async def test_a_probe_that_ignores_its_deadline_is_cut_off_with_a_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(PROBES, "tcp", sleeps_past_its_deadline)
    t0 = time.monotonic()
    obs = await run(tcp_info(timeout=0.2))
    took = time.monotonic() - t0
    assert obs.ok is False and obs.check_id == 7
    assert obs.error == "timed out after 0.2s (the probe overran its deadline)"
    assert 0.25 <= took < 2.0, took
    assert_no_cancellation_left()
    await asyncio.sleep(0.01)


@pytest.mark.usefixtures("short_grace")
async def test_a_probe_that_swallows_the_cut_still_returns_and_leaves_no_cancellation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(PROBES, "tcp", swallows_the_cut)
    assert (await run(tcp_info(timeout=0.2))).error == "late"
    assert_no_cancellation_left()
    await asyncio.sleep(0.01)


@pytest.mark.usefixtures("short_grace")
async def test_cancelling_the_check_from_outside_cancels_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(PROBES, "tcp", sleeps_past_its_deadline)
    task = asyncio.create_task(run(tcp_info(timeout=5.0)))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_probe_within_its_deadline_is_not_disturbed() -> None:
    """A real refused connect on loopback: the guard's slot is gone once the check answers."""
    from sitekeeper.probes._expiry import expiry

    obs = await run(tcp_info(timeout=1.0))
    assert obs.ok is False and obs.error is not None and "refused" in obs.error
    assert len(expiry()) == 0


async def raises_a_timeout_of_its_own(
    target: Target, spec: object, ctx: ProbeContext
) -> Observation:
    raise TimeoutError


async def turns_the_cut_into_an_error(
    target: Target, spec: object, ctx: ProbeContext
) -> Observation:
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError as err:  # as an old library's own timeout might
        raise RuntimeError("gave up") from err
    return ctx.observation(target, ok=True, started=time.time())


@pytest.mark.usefixtures("short_grace")
@pytest.mark.parametrize("probe", [raises_a_timeout_of_its_own, turns_the_cut_into_an_error])
async def test_a_timeout_escaping_the_probe_is_reported_as_one(
    monkeypatch: pytest.MonkeyPatch, probe: object
) -> None:
    monkeypatch.setitem(PROBES, "tcp", probe)
    obs = await run(tcp_info(timeout=0.2))
    assert obs.ok is False
    assert obs.error == "timed out after 0.2s (the probe overran its deadline)"
    assert_no_cancellation_left()
    await asyncio.sleep(0.01)
