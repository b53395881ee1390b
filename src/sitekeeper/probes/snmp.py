"""SNMP probe: read the check's metric tables (sitekeeper.checks.snmp) from a device's agent.

One GET fetches sysUpTime and every table's scalars, then each table column is walked
(GETBULK; GETNEXT for SNMPv1), concurrently — the engine keeps at most a few requests on
the wire per agent. All SNMP checks of the process share one `SnmpClient`, made lazily on
the running event loop: one UDP socket however many devices are polled.

Rates (bit/s, errors/s) need the previous sample of the same check. The engine stays a pure
request/response client and the tables stay pure functions, so remembering counters is the
probe's concern: `_SAMPLES` keeps the last sample per check id, bounded in number and
forgotten when stale. A collector restart, or an agent restart (sysUpTime went down), just
means one sample without rates. The probe never raises: an unreachable agent is ok=False,
missing or unusable credentials are ok=None with the fix in the error text.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from sitekeeper.checks.snmp import TABLES, Previous, Raw, Table, read
from sitekeeper.checks.snmp.counters import restarted
from sitekeeper.checks.snmp.model import number
from sitekeeper.checks.snmp.system import SYS_UPTIME
from sitekeeper.checks.specs_snmp import SnmpCheck
from sitekeeper.observation import Observation, Value
from sitekeeper.probes._common import describe, elapsed_ms, no_port, resolve_port
from sitekeeper.probes.base import ProbeContext, Target
from sitekeeper.protocols.snmp import (
    AuthProtocol,
    NoValue,
    PrivProtocol,
    SnmpAuthError,
    SnmpClient,
    SnmpError,
    SnmpResponseError,
    SnmpTimeout,
    UsmUser,
    Version,
    parse_oid,
)
from sitekeeper.protocols.snmp import Target as SnmpTarget
from sitekeeper.protocols.snmp.values import Oid, VarBind

MAX_SAMPLES = 20_000  # checks whose last sample is kept; the oldest go first
STALE_S = 3600.0  # a previous sample older than this is forgotten, not used for a rate
NO_SUCH_NAME = 2
VERSIONS = {"1": Version.V1, "2c": Version.V2C, "3": Version.V3}
VERSION_NAMES = {v: f"SNMPv{k}" for k, v in VERSIONS.items()}
PRIV = {"des": PrivProtocol.DES, "aes": PrivProtocol.AES, "aes128": PrivProtocol.AES}
NOT_MEASURED = "not_measured"  # details key: see state.classify


@dataclass(frozen=True, slots=True)
class Sample:
    at: float  # clock.monotonic()
    ticks: int | None  # sysUpTime
    raws: dict[str, Raw]


_SAMPLES: OrderedDict[int, Sample] = OrderedDict()
_shared: tuple[asyncio.AbstractEventLoop, SnmpClient] | None = None


def shared_client() -> SnmpClient:
    """The process's SNMP client on the running loop (a new loop, as in tests or each
    `asyncio.run`, gets a new one; its socket opens on first use)."""
    global _shared
    loop = asyncio.get_running_loop()
    if _shared is None or _shared[0] is not loop:
        _shared = (loop, SnmpClient())
    return _shared[1]


async def close_shared() -> None:
    """Close the shared client (at shutdown, and between tests)."""
    global _shared
    if _shared is not None:
        _, client = _shared
        _shared = None
        await client.close()


def forget_samples() -> None:
    _SAMPLES.clear()


class CredentialsProblem(Exception):
    """The check cannot be run as configured; the message says how to fix it."""


def _missing(spec: SnmpCheck, target: Target) -> str:
    if spec.credentials is not None:
        return (
            f"SNMP credentials {spec.credentials!r} are not stored: store them with "
            f"`sitekeeper credentials set {spec.credentials} --kind snmp`"
        )
    return (
        f"no SNMP credentials for {target.name or target.address}: store them with "
        "`sitekeeper credentials set NAME --kind snmp` (it asks for the community; v3: "
        "`--version 3 --user USER --auth sha256 --priv aes`) and add `credentials: NAME` to "
        "the device (there is no default community)"
    )


def snmp_target(address: str, port: int, creds: Mapping[str, str], spec: SnmpCheck) -> SnmpTarget:
    """The engine's Target from stored credentials (kind snmp); CredentialsProblem if
    they cannot work."""
    kind = creds.get("kind", "snmp")
    if kind != "snmp":
        raise CredentialsProblem(
            f"the credentials are of kind {kind!r}; an snmp check needs kind snmp "
            "(`sitekeeper credentials set NAME --kind snmp`) or give the check its own "
            "`credentials:`"
        )
    version = VERSIONS.get(creds.get("version", "2c"))
    if version is None:
        raise CredentialsProblem("the SNMP credentials' version must be 1, 2c or 3")
    wait, retries = spec.attempt_timeout, spec.retries
    try:
        if version is not Version.V3:
            community = creds.get("community")
            if not community:
                raise CredentialsProblem(f"SNMP v{creds.get('version', '2c')} needs a community")
            return SnmpTarget(address, port, version, community, timeout=wait, retries=retries)
        user = UsmUser(
            creds.get("user", ""),
            AuthProtocol(creds.get("auth_protocol") or "none"),
            creds.get("auth_key", ""),
            PRIV.get(creds.get("priv_protocol") or "", PrivProtocol.NONE),
            creds.get("priv_key", ""),
        )
        return SnmpTarget(address, port, version, user=user, timeout=wait, retries=retries)
    except (SnmpError, ValueError) as err:
        raise CredentialsProblem(f"the SNMP credentials cannot be used: {err}") from None


async def _get(client: SnmpClient, target: SnmpTarget, oids: list[Oid]) -> list[VarBind]:
    """GET every OID; an SNMPv1 agent refuses the whole request for one unknown object
    (noSuchName), so that one is dropped and the rest asked again."""
    wanted = list(oids)
    while wanted:
        try:
            return await client.get(target, wanted)
        except SnmpResponseError as err:
            if err.status != NO_SUCH_NAME or not 0 < err.index <= len(wanted):
                raise
            del wanted[err.index - 1]
    return []


async def _read(
    client: SnmpClient, target: SnmpTarget, tables: list[Table], spec: SnmpCheck, ctx: ProbeContext
) -> list[VarBind]:
    scalars = [parse_oid(SYS_UPTIME)]
    for table in tables:
        scalars.extend(o for o in table.scalar_oids if o not in scalars)
    scalars.extend(parse_oid(o.oid) for o in spec.oids if parse_oid(o.oid) not in scalars)
    got = await _get(client, target, scalars)
    ctx.log(f"GET {len(scalars)} objects: {sum(_present(v) for _, v in got)} answered")
    roots = [oid for table in tables for oid in table.column_oids]
    walks = await asyncio.gather(
        *(client.walk(target, root, max_repetitions=spec.max_repetitions) for root in roots)
    )
    rows = sum(len(w) for w in walks)
    ctx.log(f"walked {len(roots)} columns: {rows} rows")
    return [*got, *(vb for walk in walks for vb in walk)]


def _present(value: object) -> bool:
    return not isinstance(value, NoValue)


def _failure(err: BaseException, target: SnmpTarget, budget: float) -> str:
    where = f"{target.host}:{target.port}"
    if isinstance(err, SnmpTimeout):
        hint = (
            "SNMP is off, a firewall drops it, or the user is unknown"
            if target.version is Version.V3
            else "SNMP is off, a firewall drops it, or the community is wrong (agents stay "
            "silent on a wrong community)"
        )
        return f"no SNMP answer from {where}: {hint}"
    if isinstance(err, TimeoutError):
        return f"timed out after {budget:.1f}s reading SNMP from {where}"
    if isinstance(err, SnmpAuthError):
        return f"SNMPv3 refused by {where}: {err}"
    if isinstance(err, SnmpError):
        return f"SNMP error from {where}: {err}"
    return describe(err)


def _previous(check_id: int, now: float, ticks: int | None) -> Previous | None:
    """The check's last sample if it is usable for rates (not stale, not from the future)."""
    old = _SAMPLES.get(check_id)
    if old is None or now - old.at > STALE_S or now <= old.at:
        return None
    elapsed = now - old.at
    rebooted = ticks is not None and old.ticks is not None and restarted(old.ticks, ticks, elapsed)
    return Previous(old.raws, elapsed, rebooted)


def _remember(check_id: int, sample: Sample) -> None:
    _SAMPLES[check_id] = sample
    _SAMPLES.move_to_end(check_id)
    while _SAMPLES:
        oldest_id, oldest = next(iter(_SAMPLES.items()))
        if len(_SAMPLES) <= MAX_SAMPLES and sample.at - oldest.at <= STALE_S:
            break
        del _SAMPLES[oldest_id]


async def probe(target: Target, spec: SnmpCheck, ctx: ProbeContext) -> Observation:
    started, t0 = ctx.clock.now(), ctx.clock.monotonic()
    port = resolve_port(target, spec.port, spec.port_name)
    if port is None:
        return ctx.observation(target, ok=None, started=started, error=no_port(spec.port_name))
    if not target.credentials:
        return ctx.observation(target, ok=None, started=started, error=_missing(spec, target))
    try:
        agent = snmp_target(target.address, port, target.credentials, spec)
    except CredentialsProblem as err:
        return ctx.observation(target, ok=None, started=started, error=str(err))
    ctx.log(
        f"{VERSION_NAMES[agent.version]} to {target.address}:{port}, tables {', '.join(spec.tables) or 'none'}"
    )
    tables = [TABLES[name] for name in spec.tables]
    budget = ctx.remaining()
    try:
        async with asyncio.timeout(budget):
            varbinds = await _read(shared_client(), agent, tables, spec, ctx)
    except Exception as err:  # a probe never raises; CancelledError is not an Exception
        return ctx.observation(
            target, ok=False, started=started, error=_failure(err, agent, budget)
        )
    return _observe(target, spec, ctx, varbinds, started, t0)


def _observe(
    target: Target,
    spec: SnmpCheck,
    ctx: ProbeContext,
    varbinds: list[VarBind],
    started: float,
    t0: float,
) -> Observation:
    """Turn what was read into values (no judging: that is state.classify's)."""
    now = ctx.clock.monotonic()
    uptime = dict(varbinds).get(parse_oid(SYS_UPTIME))
    ticks = number(uptime) if uptime is not None else None
    previous = _previous(target.check_id, now, ticks)
    if previous is not None:
        restart = "; the agent restarted since: no rates" if previous.restarted else ""
        ctx.log(f"previous sample {previous.elapsed_s:.1f}s ago{restart}")
    reading = read(spec, varbinds, previous)
    for name, count in reading.counts.items():
        ctx.log(f"{name}: {count} values" if count else f"{name}: nothing in {TABLES[name].mib}")
    _remember(target.check_id, Sample(now, ticks, reading.raws))
    details: dict[str, Value] = {"varbinds": len(varbinds)}
    if reading.not_measured:
        details[NOT_MEASURED] = ",".join(reading.not_measured)
    error = None
    if reading.missing:
        error = (
            f"the agent has no {' or '.join(reading.missing)} data: it does not support it, "
            "or its SNMP view hides it; take the table out of the check's `tables:`"
        )
    return ctx.observation(
        target,
        ok=None if reading.missing else True,
        started=started,
        latency_ms=elapsed_ms(ctx, t0),
        values=reading.values,
        error=error,
        details=details,
    )
