"""TLS probe: handshake, read the certificate, report how long it has left and whether it verifies.

The certificate is read even when it does not verify (self-signed, expired, wrong name):
devices ship such certificates and their expiry still matters. So a verifying handshake is
tried first (one connection when all is well); if only verification fails, a second,
non-verifying handshake reads the certificate. ok=False means no TLS at all; expiry is
judged by the engine from `days_to_expiry` (the spec's warn_days/crit_days).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

from sitekeeper.checks.specs import TlsCheck
from sitekeeper.observation import Observation, Value
from sitekeeper.probes._cert import CertInfo, CertUnreadable, peer_der, read_cert
from sitekeeper.probes._common import (
    client_tls,
    describe,
    elapsed_ms,
    no_port,
    resolve_port,
    timed_out,
)
from sitekeeper.probes._dialog import close_quietly
from sitekeeper.probes.base import ProbeContext, Target

CLOSE_GRACE = 0.25


@dataclass(frozen=True, slots=True)
class Session:
    cert: CertInfo
    version: str
    cipher: str


@dataclass(slots=True)
class _Handshaker:
    """Connects and shakes hands; `stage` says where a timeout caught it."""

    address: str
    port: int
    server_name: str
    ctx: ProbeContext
    stage: str = "connecting"

    async def __call__(self, context: ssl.SSLContext) -> Session:
        """One connection and handshake. The server name is sent as SNI (Python sends none
        for an IP literal, as RFC 6066 asks) and, when verifying, matched to the certificate."""
        self.stage = "connecting"
        _, writer = await asyncio.open_connection(self.address, self.port)
        try:
            self.stage = "in the TLS handshake"
            await writer.start_tls(context, server_hostname=self.server_name)
            ssl_object = writer.get_extra_info("ssl_object")
            if not isinstance(ssl_object, ssl.SSLObject):
                raise CertUnreadable("no TLS session")
            cipher = ssl_object.cipher()
            return Session(
                cert=read_cert(peer_der(ssl_object)),
                version=ssl_object.version() or "",
                cipher=cipher[0] if cipher else "",
            )
        finally:
            await close_quietly(writer, min(CLOSE_GRACE, self.ctx.remaining()))


async def probe(
    target: Target, spec: TlsCheck, ctx: ProbeContext, *, trust: ssl.SSLContext | None = None
) -> Observation:
    """`trust` replaces the system store (a seam for tests; the registry uses the default)."""
    started, t0 = ctx.clock.now(), ctx.clock.monotonic()
    port = resolve_port(target, spec.port, spec.port_name)
    if port is None:
        return ctx.observation(target, ok=None, started=started, error=no_port(spec.port_name))
    server_name = spec.server_name or target.address
    details: dict[str, Value] = {"server_name": server_name}
    handshake = _Handshaker(target.address, port, server_name, ctx)
    budget = ctx.remaining()
    try:
        async with asyncio.timeout(budget):
            try:
                session = await handshake(trust or client_tls(verify=True))
                verified = True
            except ssl.SSLCertVerificationError as err:
                details["verify_error"] = describe(err)
                ctx.log(f"does not verify ({describe(err)}); reading the certificate anyway")
                session = await handshake(client_tls(verify=False))
                verified = False
    except TimeoutError:
        error = timed_out(budget, handshake.stage)
        return ctx.observation(target, ok=False, started=started, details=details, error=error)
    except CertUnreadable as err:
        # The handshake worked, so TLS is up; what we could not do is read the certificate.
        return ctx.observation(target, ok=None, started=started, details=details, error=str(err))
    except Exception as err:  # a probe never raises; CancelledError is not an Exception
        error = describe(err)
        return ctx.observation(target, ok=False, started=started, details=details, error=error)
    values: dict[str, Value] = {
        "days_to_expiry": session.cert.days_left(ctx.clock.now()),
        "verified": 1 if verified else 0,
        "tls_version": session.version,
    }
    details.update(session.cert.details(), cipher=session.cipher)
    latency = elapsed_ms(ctx, t0)
    return ctx.observation(
        target, ok=True, started=started, latency_ms=latency, values=values, details=details
    )
