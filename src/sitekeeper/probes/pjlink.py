"""PJLink probe: a projector's or display's power, input, lamps and error status.

The probe fails (ok=False) only when the projector cannot be asked: no greeting, no reply,
a wrong password, not PJLink. What it reports about itself — a lamp error, a cover open,
5,000 lamp hours — are values, judged by the check's thresholds (see docs/devices.md).
"""

from __future__ import annotations

import asyncio

from sitekeeper.checks.specs_devices import PjlinkCheck
from sitekeeper.observation import Observation, Value
from sitekeeper.probes._common import describe, elapsed_ms, no_port, resolve_port, timed_out
from sitekeeper.probes._dialog import close_quietly
from sitekeeper.probes.base import ProbeContext, Target
from sitekeeper.protocols.pjlink import (
    POWER_STATES,
    PasswordNeeded,
    PjlinkError,
    PjlinkSession,
    PjlinkStatus,
    read_status,
)

CLOSE_GRACE = 0.25


def status_values(status: PjlinkStatus) -> dict[str, Value]:
    """The Observation's values, named as docs/devices.md lists them."""
    values: dict[str, Value] = {"pjlink_class": status.pjlink_class}
    if status.power is not None:
        values["power"] = status.power
        values["power_state"] = POWER_STATES.get(status.power, "unknown")
    if status.input is not None:
        values["input"] = status.input
    if status.lamps:
        values["lamp_hours"] = max(hours for hours, _ in status.lamps)
        values["lamp_on"] = int(any(on for _, on in status.lamps))
        if len(status.lamps) > 1:
            for i, (hours, on) in enumerate(status.lamps, start=1):
                values[f"lamp_hours.{i}"] = hours
                values[f"lamp_on.{i}"] = int(on)
    for name, level in status.error_status.items():
        values[f"error_{name}"] = level
    for key in ("name", "manufacturer", "model", "software_version"):
        text = getattr(status, key)
        if text:
            values[key] = text
    return values


def _details(status: PjlinkStatus) -> dict[str, Value]:
    details: dict[str, Value] = {f"reply_{cmd}": err for cmd, err in status.errors.items()}
    if status.info:
        details["info"] = status.info
    details["authenticated"] = status.authenticated
    return details


def _missing_password(spec: PjlinkCheck) -> str:
    if spec.credentials is not None:
        return (
            f"the projector asks for a PJLink password and credentials {spec.credentials!r} "
            "are not stored; see `sitekeeper credentials set`"
        )
    return (
        "the projector asks for a PJLink password: store one with `sitekeeper credentials set "
        "NAME --kind password` and refer to it with `credentials: NAME`"
    )


async def observe(
    target: Target, spec: PjlinkCheck, ctx: ProbeContext, *, password: str | None = None
) -> Observation:
    """The probe, given the password (from the resolved credentials)."""
    started, t0 = ctx.clock.now(), ctx.clock.monotonic()
    port = resolve_port(target, spec.port, spec.port_name)
    if port is None:
        return ctx.observation(target, ok=None, started=started, error=no_port(spec.port_name))
    budget = ctx.remaining()
    stage = "connecting"
    writer: asyncio.StreamWriter | None = None
    status: PjlinkStatus | None = None
    error: str | None = None
    try:
        async with asyncio.timeout(budget):
            ctx.log(f"connecting to {target.address}:{port}")
            reader, writer = await asyncio.open_connection(target.address, port)
            stage = "waiting for the PJLink greeting"
            session = await PjlinkSession.open(reader, writer, password)
            ctx.log("authenticating" if session.authenticated else "no authentication asked")
            stage = "waiting for replies to the status queries"
            status = await read_status(session)
    except TimeoutError:
        error = timed_out(budget, stage)
    except PasswordNeeded:
        error = _missing_password(spec)
    except PjlinkError as err:
        error = str(err)
    except Exception as err:  # a probe never raises; CancelledError is not an Exception
        error = describe(err)
    finally:
        if writer is not None:
            await close_quietly(writer, min(CLOSE_GRACE, ctx.remaining()))
    if status is None:
        return ctx.observation(target, ok=False, started=started, error=error)
    values = status_values(status)
    for command, code in status.errors.items():
        ctx.log(f"{command}: {code}")
    ctx.log(", ".join(f"{k}={v}" for k, v in values.items()))
    return ctx.observation(
        target,
        ok=True,
        started=started,
        latency_ms=elapsed_ms(ctx, t0),
        values=values,
        details=_details(status),
    )


async def probe(target: Target, spec: PjlinkCheck, ctx: ProbeContext) -> Observation:
    creds = target.credentials or {}
    return await observe(target, spec, ctx, password=creds.get("password"))
