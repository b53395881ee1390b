"""Fixtures for probe tests: a context factory, listeners on loopback, certificates."""

from __future__ import annotations

import socket
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import trustme

from sitekeeper.clock import SystemClock
from sitekeeper.probes.base import ProbeContext
from sitekeeper.protocols.http import HttpSessions

from .servers import LOOPBACK, Listeners, self_signed

MakeCtx = Callable[..., ProbeContext]


@pytest.fixture
async def http_sessions() -> AsyncIterator[HttpSessions]:
    sessions = HttpSessions()
    yield sessions
    await sessions.close()


@pytest.fixture
def make_ctx(http_sessions: HttpSessions) -> MakeCtx:
    """`make_ctx(timeout)`: a context whose deadline is `timeout` seconds from now."""

    def make(timeout: float = 2.0) -> ProbeContext:
        clock = SystemClock()
        return ProbeContext(
            deadline=clock.monotonic() + timeout, clock=clock, http=http_sessions, debug=True
        )

    return make


@pytest.fixture
async def listeners() -> AsyncIterator[Listeners]:
    harness = Listeners()
    yield harness
    await harness.close()


@pytest.fixture
def closed_port() -> int:
    """A port that was just free: bound, then closed, so connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def cert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("certs")


@pytest.fixture(scope="session")
def self_signed_tls(cert_dir: Path) -> ssl.SSLContext:
    return self_signed(cert_dir, "self-signed", days=90)


@pytest.fixture(scope="session")
def expired_tls(cert_dir: Path) -> ssl.SSLContext:
    return self_signed(cert_dir, "expired", days=-2)


@pytest.fixture(scope="session")
def expiring_tls(cert_dir: Path) -> ssl.SSLContext:
    return self_signed(cert_dir, "expiring", days=3)


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def trusted_tls(ca: trustme.CA) -> ssl.SSLContext:
    """A server context whose certificate chains to `ca` (see `trusting_ca`)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(LOOPBACK, "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="session")
def trusting_ca(ca: trustme.CA) -> ssl.SSLContext:
    """A client context that trusts `ca`, standing in for the system store."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ca.configure_trust(context)
    return context
