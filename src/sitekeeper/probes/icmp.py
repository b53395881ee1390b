"""ICMP probe: a few echo requests; round-trip times, jitter and loss.

Linux lets a process ping without privileges through "ping sockets" when its group is in
`net.ipv4.ping_group_range`; otherwise only root or CAP_NET_RAW may open a raw socket. Which
of the two works is found once per process by opening each kind of socket (not by reading
sysctls: containers and capabilities make the files lie). When neither works the probe
reports ok=None, "could not tell", with the fix, rather than calling every device down.

Every icmp check of the process shares one `Pinger` (sitekeeper.protocols.icmp), made lazily
on the running event loop: one socket per address family however many devices are pinged.
The runtime closes it at shutdown with `close_shared()`.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import socket
from collections.abc import Awaitable, Callable

from sitekeeper.checks.specs import IcmpCheck
from sitekeeper.observation import Observation, Value
from sitekeeper.probes._common import describe, timed_out
from sitekeeper.probes.base import ProbeContext, Target
from sitekeeper.protocols.icmp import IcmpPermissionError, IcmpResolveError, Pinger, PingResult

MAX_WAIT = 2.0  # per echo: a reply later than this is as good as lost for monitoring

NOT_PERMITTED = (
    "ICMP is not permitted for this process: allow unprivileged ping with "
    '`sysctl -w net.ipv4.ping_group_range="0 2147483647"`, or give the interpreter raw '
    "sockets with `setcap cap_net_raw+ep <path to python>`"
)

MIN_WAIT = 0.05
LATE_S = 0.05  # how late the last echo's expiry may come (its sweep, the loop): kept spare
PingFn = Callable[..., Awaitable[PingResult]]  # shared_ping's shape


class IcmpAccess(enum.Enum):
    UNPRIVILEGED = "unprivileged"  # ping sockets (SOCK_DGRAM)
    PRIVILEGED = "privileged"  # raw sockets (root or CAP_NET_RAW)
    DENIED = "denied"


def _can_open(kind: int) -> bool:
    try:
        socket.socket(socket.AF_INET, kind, socket.IPPROTO_ICMP).close()
    except OSError:
        return False
    return True


def detect_access(can_open: Callable[[int], bool] = _can_open) -> IcmpAccess:
    """Prefer ping sockets (the kernel matches replies for us, no privilege needed)."""
    if can_open(socket.SOCK_DGRAM):
        return IcmpAccess.UNPRIVILEGED
    if can_open(socket.SOCK_RAW):
        return IcmpAccess.PRIVILEGED
    return IcmpAccess.DENIED


@functools.cache
def process_access() -> IcmpAccess:
    """Decided once per process: privileges do not change under a running collector."""
    return detect_access()


_shared: dict[bool, tuple[asyncio.AbstractEventLoop, Pinger]] = {}


def shared_pinger(*, privileged: bool) -> Pinger:
    """The process's pinger on the running loop (a new loop, as in tests or each
    `asyncio.run`, gets a new one; its sockets open on first use)."""
    loop = asyncio.get_running_loop()
    shared = _shared.get(privileged)
    if shared is None or shared[0] is not loop:
        shared = _shared[privileged] = (loop, Pinger(privileged=privileged))
    return shared[1]


async def close_shared() -> None:
    """Close the shared pinger (at shutdown, and between tests)."""
    pingers = [pinger for _, pinger in _shared.values()]
    _shared.clear()
    for pinger in pingers:
        await pinger.close()


async def shared_ping(
    address: str, *, privileged: bool, count: int, interval: float, wait: float, payload_size: int
) -> PingResult:
    """`Pinger.ping` on the shared pinger of the kind `privileged` says."""
    pinger = shared_pinger(privileged=privileged)
    return await pinger.ping(
        address, count=count, interval=interval, wait=wait, payload_size=payload_size
    )


def _values(host: PingResult) -> dict[str, Value]:
    sent, received = host.packets_sent, host.packets_received
    values: dict[str, Value] = {
        "loss_pct": round(100.0 * (sent - received) / sent, 2) if sent else 100.0,
        "packets_sent": sent,
        "packets_received": received,
    }
    if received:  # no reply, no round-trip time (not 0.0 ms)
        values.update(
            rtt_ms=float(host.avg_rtt),
            rtt_min_ms=float(host.min_rtt),
            rtt_max_ms=float(host.max_rtt),
            jitter_ms=float(host.jitter),
        )
    return values


async def probe(
    target: Target,
    spec: IcmpCheck,
    ctx: ProbeContext,
    *,
    access: Callable[[], IcmpAccess] = process_access,
    ping: PingFn = shared_ping,
) -> Observation:
    """`access` and `ping` are seams for tests; the registry uses the defaults."""
    started = ctx.clock.now()
    mode = access()
    if mode is IcmpAccess.DENIED:
        return ctx.observation(target, ok=None, started=started, error=NOT_PERMITTED)
    budget = ctx.remaining()
    # Echoes go out every packet_interval whatever the replies; the last one's wait must
    # still end before the deadline, so that even all-lost is reported as loss.
    last_sent = (spec.count - 1) * spec.packet_interval
    wait = min(MAX_WAIT, max(MIN_WAIT, budget - last_sent - LATE_S))
    ctx.log(f"pinging {target.address} x{spec.count} ({mode.value}, {wait:.2f}s per echo)")
    try:
        async with asyncio.timeout(budget):
            host = await ping(
                target.address,
                count=spec.count,
                interval=spec.packet_interval,
                wait=wait,
                payload_size=spec.payload_size,
                privileged=mode is IcmpAccess.PRIVILEGED,
            )
    except TimeoutError:
        error = timed_out(budget, "waiting for echo replies")
        return ctx.observation(target, ok=False, started=started, error=error)
    except IcmpPermissionError:
        return ctx.observation(target, ok=None, started=started, error=NOT_PERMITTED)
    except IcmpResolveError:
        error = f'cannot resolve the address "{target.address}"'
        return ctx.observation(target, ok=False, started=started, error=error)
    except Exception as err:  # a probe never raises; CancelledError is not an Exception
        return ctx.observation(target, ok=False, started=started, error=describe(err))
    values = _values(host)
    loss = float(values["loss_pct"])
    replies = f"{values['packets_received']}/{values['packets_sent']} replies"
    lost = None if loss < spec.max_loss_pct else f"{loss:g}% packet loss ({replies})"
    latency = values.get("rtt_ms")
    return ctx.observation(
        target,
        ok=lost is None,
        started=started,
        latency_ms=float(latency) if latency is not None else None,
        values=values,
        error=lost,
    )
