"""Run one check: look up its probe, build the context with its deadline, and make sure
that whatever the probe does, an Observation comes back by the deadline.

The guard (the deadline plus GRACE_S) is a slot on the loop's shared deadline timer
(`probes._expiry`) that cancels the check's task, as asyncio.timeout would, without a timer
of its own for each of thousands of checks a second."""

from __future__ import annotations

import asyncio

from sitekeeper.checks.specs_passive import PASSIVE_TYPES
from sitekeeper.clock import Clock
from sitekeeper.observation import Observation
from sitekeeper.probes import PROBES
from sitekeeper.probes._expiry import cancel_task, expired, expiry
from sitekeeper.probes.base import ProbeContext, Target
from sitekeeper.protocols.http import HttpSessions
from sitekeeper.results.catalog import CheckInfo

# A probe that ignores its deadline is cut off this much later (and the overrun reported).
GRACE_S = 0.5


async def run_check(
    info: CheckInfo, clock: Clock, http: HttpSessions, *, debug: bool = False
) -> Observation:
    started = clock.now()
    probe = PROBES.get(info.spec.type)
    if info.spec.type in PASSIVE_TYPES:
        return Observation(
            check_id=info.id,
            at=started,
            ok=None,
            error=f"a {info.spec.type} check is passive: it is judged from what the device "
            "sends (see docs/passive.md), not run",
        )
    if probe is None:
        return Observation(
            check_id=info.id,
            at=started,
            ok=None,
            error=f"no probe for check type {info.spec.type!r}",
        )
    ctx = ProbeContext(
        deadline=clock.monotonic() + info.spec.timeout, clock=clock, http=http, debug=debug
    )
    if debug:  # the line is not even built otherwise: this runs for every check
        ctx.log(
            f"{info.spec.type} check {info.label} -> {info.address}:{info.port or '-'}"
            f" (timeout {info.spec.timeout:g}s)"
        )
    target = Target(
        check_id=info.id,
        address=info.address,
        port=info.port,
        name=info.device_key,
        credentials=info.credentials,
    )
    loop = asyncio.get_running_loop()
    task = asyncio.current_task(loop)
    assert task is not None  # awaited, so in a task
    deadlines = expiry(loop)
    cancelling = task.cancelling()
    slot = deadlines.watch(task, loop.time() + info.spec.timeout + GRACE_S, cancel_task)
    try:
        obs = await probe(target, info.spec, ctx)
        if expired(slot):  # cut off, but the probe swallowed the cancellation and answered
            task.uncancel()
        return obs
    except asyncio.CancelledError:
        # ours (the guard's) unless someone else asked too, as asyncio.timeout decides
        if not expired(slot) or task.uncancel() > cancelling:
            raise
        return _overran(ctx, target, started, info.spec.timeout)
    except Exception as err:  # a probe bug must not stop the collector; it is reported
        if expired(slot):  # the cut, turned into another exception on its way up
            task.uncancel()
            return _overran(ctx, target, started, info.spec.timeout)
        if isinstance(err, TimeoutError):  # a timeout of the probe's own that escaped it
            return _overran(ctx, target, started, info.spec.timeout)
        return ctx.observation(
            target, ok=None, started=started, error=f"probe failed unexpectedly: {err!r}"
        )
    finally:
        deadlines.forget(slot)


def _overran(ctx: ProbeContext, target: Target, started: float, timeout: float) -> Observation:
    return ctx.observation(
        target,
        ok=False,
        started=started,
        error=f"timed out after {timeout:g}s (the probe overran its deadline)",
    )
