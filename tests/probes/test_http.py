"""The http probe against a real aiohttp server on loopback."""

from __future__ import annotations

import socket
import ssl
import time
from typing import Any

import pytest

from sitekeeper.checks.specs import HttpCheck
from sitekeeper.probes import http
from sitekeeper.probes.base import Target

from .conftest import MakeCtx
from .servers import LOOPBACK, SLACK, Listeners


def at(port: int | None, address: str = LOOPBACK) -> Target:
    return Target(check_id=7, address=address, port=port, name="nas")


def check(path: str, **fields: Any) -> HttpCheck:
    return HttpCheck(path=path, **fields)


async def test_it_reports_status_latency_and_body_size(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.http()
    obs = await http.probe(at(port), check("/ok", body_contains="sitekeeper"), make_ctx())
    assert obs.ok is True, obs.error
    assert obs.values["http_status"] == 200
    assert obs.values["body_bytes"] == len("hello from sitekeeper")
    assert obs.latency_ms == obs.values["latency_ms"]
    assert obs.details["url"] == f"http://{LOOPBACK}:{port}/ok"


async def test_it_reports_refused_connection(closed_port: int, make_ctx: MakeCtx) -> None:
    obs = await http.probe(at(closed_port), check("/"), make_ctx())
    assert obs.ok is False
    assert obs.error == "connection refused"


async def test_it_times_out_at_the_deadline_when_the_server_never_answers(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.http()
    begun = time.monotonic()
    obs = await http.probe(at(port), check("/hang"), make_ctx(0.5))
    assert time.monotonic() - begun < 0.5 + SLACK
    assert obs.ok is False
    assert obs.error == "timed out after 0.5s waiting for the response"


async def test_it_waits_for_a_slow_server_inside_the_deadline(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.http()
    obs = await http.probe(at(port), check("/slow"), make_ctx(2.0))
    assert obs.ok is True, obs.error
    assert float(obs.values["latency_ms"]) >= 250


async def test_it_reports_an_unexpected_status(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.http()
    obs = await http.probe(at(port), check("/status/503", expect_status=(200,)), make_ctx())
    assert obs.ok is False
    assert obs.error == "expected status 200, got 503"
    assert obs.values["http_status"] == 503


async def test_it_accepts_any_2xx_or_3xx_by_default_and_nothing_else(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.http()
    accepted = await http.probe(at(port), check("/status/204"), make_ctx())
    refused = await http.probe(at(port), check("/status/404"), make_ctx())
    assert accepted.ok is True, accepted.error
    assert refused.ok is False
    assert refused.error == "expected a 2xx or 3xx status, got 404"


async def test_it_accepts_a_login_page_when_told_to(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.http()
    spec = check("/status/401", expect_status=(200, 401, 403))
    obs = await http.probe(at(port), spec, make_ctx())
    assert obs.ok is True, obs.error


async def test_it_reports_missing_body_text(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.http()
    obs = await http.probe(at(port), check("/ok", body_contains="Welcome"), make_ctx())
    assert obs.ok is False
    assert obs.error == 'body does not contain "Welcome"'


async def test_it_matches_the_body_against_a_regex(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.http()
    good = await http.probe(at(port), check("/ok", body_regex=r"^hello \w+"), make_ctx())
    bad = await http.probe(at(port), check("/ok", body_regex=r"^goodbye"), make_ctx())
    assert good.ok is True, good.error
    assert bad.ok is False
    assert bad.error == 'body does not match "^goodbye"'


async def test_it_reads_a_json_field_by_dotted_path(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.http()
    spec = check("/json", json_field="items.1.name", json_equals="cam2")
    obs = await http.probe(at(port), spec, make_ctx())
    assert obs.ok is True, obs.error
    assert obs.values["json_value"] == "cam2"


async def test_it_compares_json_values_across_yaml_and_json_types(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.http()
    as_bool = await http.probe(
        at(port), check("/json", json_field="status.ok", json_equals=True), make_ctx()
    )
    as_text = await http.probe(
        at(port), check("/json", json_field="status.code", json_equals="200"), make_ctx()
    )
    assert as_bool.ok is True, as_bool.error
    assert as_bool.values["json_value"] is True
    assert as_text.ok is True, as_text.error


async def test_it_reports_a_wrong_json_value(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.http()
    spec = check("/json", json_field="status.ok", json_equals=False)
    obs = await http.probe(at(port), spec, make_ctx())
    assert obs.ok is False
    assert obs.error == "expected status.ok = false, got true"
    assert obs.values["json_value"] is True


async def test_it_reports_a_missing_json_field(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.http()
    spec = check("/json", json_field="items.5.name")
    obs = await http.probe(at(port), spec, make_ctx())
    assert obs.ok is False
    assert obs.error == 'JSON field "items.5.name" not found'


async def test_it_reports_a_body_that_is_not_json(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.http()
    obs = await http.probe(at(port), check("/ok", json_field="status"), make_ctx())
    assert obs.ok is False
    assert obs.error is not None
    assert obs.error.startswith("body is not JSON")


async def test_it_follows_redirects_unless_told_not_to(
    listeners: Listeners, make_ctx: MakeCtx
) -> None:
    port = await listeners.http()
    followed = await http.probe(at(port), check("/redirect", expect_status=(200,)), make_ctx())
    held = await http.probe(
        at(port), check("/redirect", expect_status=(200,), follow_redirects=False), make_ctx()
    )
    assert followed.ok is True, followed.error
    assert followed.details["final_url"] == f"http://{LOOPBACK}:{port}/ok"
    assert held.ok is False
    assert held.error == "expected status 200, got 302"


async def test_it_reads_at_most_a_mebibyte_of_body(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.http()
    obs = await http.probe(at(port), check("/big"), make_ctx(5.0))
    assert obs.ok is True, obs.error
    assert obs.values["body_bytes"] == http.BODY_CAP
    assert obs.details["truncated"] is True


async def test_it_sends_method_headers_and_body(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.http()
    spec = check("/echo", method="POST", body="ping", body_contains=f"POST {LOOPBACK}:{port} ping")
    obs = await http.probe(at(port), spec, make_ctx())
    assert obs.ok is True, obs.error


async def test_it_fills_a_url_template(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.http()
    spec = HttpCheck(url="http://{address}:{port}/ok")
    obs = await http.probe(at(port), spec, make_ctx())
    assert obs.ok is True, obs.error
    assert obs.details["url"] == f"http://{LOOPBACK}:{port}/ok"


async def test_it_rejects_a_self_signed_certificate_when_verifying(
    listeners: Listeners, make_ctx: MakeCtx, self_signed_tls: ssl.SSLContext
) -> None:
    port = await listeners.http(tls=self_signed_tls)
    obs = await http.probe(at(port), check("/ok", scheme="https"), make_ctx())
    assert obs.ok is False
    assert obs.error == "TLS certificate verify failed: self-signed certificate"


async def test_it_reads_a_self_signed_site_and_its_expiry_when_not_verifying(
    listeners: Listeners, make_ctx: MakeCtx, expiring_tls: ssl.SSLContext
) -> None:
    port = await listeners.http(tls=expiring_tls)
    obs = await http.probe(at(port), check("/ok", scheme="https", verify_tls=False), make_ctx())
    assert obs.ok is True, obs.error
    assert float(obs.values["tls_days_to_expiry"]) == pytest.approx(3.0, abs=0.01)


def test_it_builds_urls_with_default_ports_left_out_and_ipv6_bracketed() -> None:
    assert http.build_url(at(None, "fd00::7"), check("/x?y=1")) == "http://[fd00::7]/x?y=1"
    assert http.build_url(at(8443, "10.0.0.2"), check("/", scheme="https")) == (
        "https://10.0.0.2:8443/"
    )
    assert http.build_url(at(None, "10.0.0.2"), check("/", port_name="https")) == (
        "http://10.0.0.2:443/"
    )


async def test_it_reports_a_url_it_cannot_use_instead_of_raising(make_ctx: MakeCtx) -> None:
    spec = HttpCheck(url="http://{address}:port/")
    obs = await http.probe(at(80), spec, make_ctx())
    assert obs.ok is False
    assert obs.error is not None
    assert obs.error.startswith("invalid URL")


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
async def test_it_reaches_an_ipv6_literal_address(listeners: Listeners, make_ctx: MakeCtx) -> None:
    port = await listeners.http(host="::1")
    obs = await http.probe(at(port, "::1"), check("/ok"), make_ctx())
    assert obs.ok is True, obs.error
    assert obs.details["url"] == f"http://[::1]:{port}/ok"
