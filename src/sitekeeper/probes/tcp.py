"""TCP probe: connect, optionally upgrade to TLS, optionally send a line and expect a reply.

Covers every "is the service answering on its port" check: RTSP on a camera, PJLink on a
projector, SSH on a server, a control processor's telnet port. `connect_ms` is the TCP
connect alone (TLS, when asked, is timed into latency_ms), so a slow handshake and a slow
network can be told apart.

A check that sends nothing, expects nothing and wants no TLS is a connect and a hang-up
(`_connect`): a bare non-blocking socket under one deadline, with no stream objects and no
polite close to wait for. Its Observation is the same as the full path's.
"""

from __future__ import annotations

import asyncio

from sitekeeper.checks.specs import TcpCheck
from sitekeeper.observation import Observation, Value
from sitekeeper.probes._common import (
    client_tls,
    describe,
    elapsed_ms,
    fill,
    no_port,
    printable,
    resolve_port,
    timed_out,
    unescape,
)
from sitekeeper.probes._connect import connect_and_close
from sitekeeper.probes._dialog import Dialog, close_quietly
from sitekeeper.probes.base import ProbeContext, Target

CLOSE_GRACE = 0.25  # seconds we wait for a polite close, within what is left


async def probe(target: Target, spec: TcpCheck, ctx: ProbeContext) -> Observation:
    started, t0 = ctx.clock.now(), ctx.clock.monotonic()
    port = resolve_port(target, spec.port, spec.port_name)
    if port is None:
        return ctx.observation(target, ok=None, started=started, error=no_port(spec.port_name))
    if not spec.send and spec.expect is None and not spec.tls:
        return await _connect_only(target, port, ctx, started, t0)
    values: dict[str, Value] = {}
    budget = ctx.remaining()
    stage = "connecting"
    writer: asyncio.StreamWriter | None = None
    dialog = Dialog()
    matched: bool | None = None
    error: str | None = None
    try:
        send = unescape(fill(spec.send, target.address, port)) if spec.send else None
        dialog = Dialog.of(send, spec.expect)
        async with asyncio.timeout(budget):
            ctx.log(f"connecting to {target.address}:{port}")
            reader, writer = await asyncio.open_connection(target.address, port)
            values["connect_ms"] = elapsed_ms(ctx, t0)
            if spec.tls:
                stage = "in the TLS handshake"
                await writer.start_tls(
                    client_tls(verify=spec.verify_tls), server_hostname=target.address
                )
            stage = "waiting for banner" if spec.expect else "sending"
            matched = await dialog.run(reader, writer)
    except TimeoutError:
        error = timed_out(budget, stage)
    except Exception as err:  # a probe never raises; CancelledError is not an Exception
        error = describe(err)
    finally:
        if writer is not None:
            await close_quietly(writer, min(CLOSE_GRACE, ctx.remaining()))
    if dialog.received:
        values["banner"] = printable(bytes(dialog.received))
        ctx.log(f"received {len(dialog.received)} bytes: {values['banner']}")
    if error is None and matched is False:
        shown = printable(bytes(dialog.received), 60)
        error = f'expected a reply matching "{spec.expect}", got "{shown}"'
        if not dialog.received:
            error = f'connection closed before a reply matching "{spec.expect}" arrived'
    return ctx.observation(
        target,
        ok=error is None,
        started=started,
        latency_ms=elapsed_ms(ctx, t0) if error is None else None,
        values=values,
        error=error,
    )


async def _connect_only(
    target: Target, port: int, ctx: ProbeContext, started: float, t0: float
) -> Observation:
    """Connect, close at once: connect_ms and latency_ms are the connect time."""
    budget = ctx.remaining()
    error: str | None = None
    ctx.log(f"connecting to {target.address}:{port}")
    try:
        await connect_and_close(target.address, port, budget)
    except TimeoutError:
        error = timed_out(budget, "connecting")
    except Exception as err:  # a probe never raises; CancelledError is not an Exception
        error = describe(err)
    if error is not None:
        return ctx.observation(target, ok=False, started=started, error=error)
    connect_ms = elapsed_ms(ctx, t0)
    return ctx.observation(
        target, ok=True, started=started, latency_ms=connect_ms, values={"connect_ms": connect_ms}
    )
