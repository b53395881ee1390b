"""The tls probe against real TLS listeners on loopback, with certificates minted to order."""

from __future__ import annotations

import ssl
import time
from pathlib import Path

import pytest

from sitekeeper.checks.specs import TlsCheck
from sitekeeper.probes import tls
from sitekeeper.probes.base import Target

from .conftest import MakeCtx
from .servers import LOOPBACK, SLACK, Listeners, hang, say, self_signed


def at(port: int | None) -> Target:
    return Target(check_id=9, address=LOOPBACK, port=port, name="firewall")


async def test_it_reports_a_certificate_that_verifies(
    listeners: Listeners,
    make_ctx: MakeCtx,
    trusted_tls: ssl.SSLContext,
    trusting_ca: ssl.SSLContext,
) -> None:
    port = await listeners.tcp(hang(), tls=trusted_tls)
    obs = await tls.probe(at(port), TlsCheck(), make_ctx(), trust=trusting_ca)
    assert obs.ok is True, obs.error
    assert obs.values["verified"] == 1
    assert str(obs.values["tls_version"]).startswith("TLSv1.")
    assert float(obs.values["days_to_expiry"]) > 365
    assert "verify_error" not in obs.details


async def test_it_reads_a_self_signed_certificate_that_does_not_verify(
    listeners: Listeners, make_ctx: MakeCtx, self_signed_tls: ssl.SSLContext
) -> None:
    port = await listeners.tcp(hang(), tls=self_signed_tls)
    obs = await tls.probe(at(port), TlsCheck(), make_ctx())
    assert obs.ok is True, obs.error
    assert obs.values["verified"] == 0
    assert float(obs.values["days_to_expiry"]) == pytest.approx(90, abs=0.01)
    assert obs.details["verify_error"] == "TLS certificate verify failed: self-signed certificate"


async def test_it_reports_an_expired_certificate_as_negative_days(
    listeners: Listeners, make_ctx: MakeCtx, expired_tls: ssl.SSLContext
) -> None:
    port = await listeners.tcp(hang(), tls=expired_tls)
    obs = await tls.probe(at(port), TlsCheck(), make_ctx())
    assert obs.ok is True, obs.error
    assert float(obs.values["days_to_expiry"]) == pytest.approx(-2, abs=0.01)
    assert obs.values["verified"] == 0


async def test_it_reports_a_certificate_about_to_expire(
    listeners: Listeners, make_ctx: MakeCtx, expiring_tls: ssl.SSLContext
) -> None:
    port = await listeners.tcp(hang(), tls=expiring_tls)
    obs = await tls.probe(at(port), TlsCheck(), make_ctx())
    assert obs.ok is True, obs.error
    assert float(obs.values["days_to_expiry"]) == pytest.approx(3, abs=0.01)
    assert "sitekeeper test expiring" in str(obs.details["subject"])


async def test_it_does_not_verify_a_certificate_for_another_name(
    listeners: Listeners,
    make_ctx: MakeCtx,
    trusted_tls: ssl.SSLContext,
    trusting_ca: ssl.SSLContext,
) -> None:
    port = await listeners.tcp(hang(), tls=trusted_tls)
    spec = TlsCheck(server_name="projector.site.test")
    obs = await tls.probe(at(port), spec, make_ctx(), trust=trusting_ca)
    assert obs.ok is True, obs.error
    assert obs.values["verified"] == 0
    assert "projector.site.test" in str(obs.details["verify_error"])


async def test_it_sends_the_server_name_for_sni(
    listeners: Listeners, make_ctx: MakeCtx, cert_dir: Path
) -> None:
    seen: list[str | None] = []

    def record(_obj: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        seen.append(name)

    context = self_signed(cert_dir, "sni", days=90)
    context.sni_callback = record
    port = await listeners.tcp(hang(), tls=context)
    obs = await tls.probe(at(port), TlsCheck(server_name="nvr.site.test"), make_ctx())
    assert obs.ok is True, obs.error
    assert seen
    assert set(seen) == {"nvr.site.test"}


async def test_it_reports_refused_connection(closed_port: int, make_ctx: MakeCtx) -> None:
    obs = await tls.probe(at(closed_port), TlsCheck(), make_ctx())
    assert obs.ok is False
    assert obs.error == "connection refused"


async def test_it_times_out_at_the_deadline_when_the_handshake_never_comes(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(hang())
    begun = time.monotonic()
    obs = await tls.probe(at(port), TlsCheck(), make_ctx(0.5))
    assert time.monotonic() - begun < 0.5 + SLACK
    assert obs.ok is False
    assert obs.error == "timed out after 0.5s in the TLS handshake"


async def test_it_reports_a_port_that_does_not_speak_tls(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.tcp(say(b"SSH-2.0-OpenSSH_9.2\r\n" * 4))
    obs = await tls.probe(at(port), TlsCheck(), make_ctx())
    assert obs.ok is False
    assert obs.error is not None
    assert obs.error.startswith("TLS handshake failed: ")
