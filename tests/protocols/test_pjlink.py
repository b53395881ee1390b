"""PJLink client and probe against an in-test projector on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from sitekeeper.checks.specs_devices import PjlinkCheck
from sitekeeper.probes import pjlink as pjlink_probe
from sitekeeper.probes.base import Target
from sitekeeper.protocols import pjlink
from sitekeeper.state.classify import classify
from sitekeeper.state.model import CheckStatus

from .conftest import LOOPBACK, SLACK, MakeCtx
from .servers import Projector, Servers

SPEC = PjlinkCheck()


async def serve(servers: Servers, projector: Projector) -> Target:
    port = await servers.tcp(projector.handler(servers.release))
    return Target(check_id=1, address=LOOPBACK, port=port, name="projector")


async def test_it_reads_a_projector_without_a_password(servers: Servers, make_ctx: MakeCtx) -> None:
    projector = Projector()
    obs = await pjlink_probe.probe(await serve(servers, projector), SPEC, make_ctx(3))
    assert obs.ok is True, obs.error
    assert obs.values == {
        "pjlink_class": 1,
        "power": 1,
        "power_state": "on",
        "input": "31",
        "lamp_hours": 1234,
        "lamp_on": 1,
        "error_fan": 0,
        "error_lamp": 0,
        "error_temp": 0,
        "error_cover": 0,
        "error_filter": 0,
        "error_other": 0,
        "name": "Boardroom",
        "manufacturer": "EPSON",
        "model": "EB-L1100U",
    }
    assert obs.details["info"] == "rev 2"
    assert obs.details["authenticated"] is False
    assert "%1SVER ?" not in projector.received and "%2SVER ?" not in projector.received


async def test_it_authenticates_with_the_password(servers: Servers, make_ctx: MakeCtx) -> None:
    projector = Projector(password="JBMIAProjectorLink", pjlink_class=2)
    target = await serve(servers, projector)
    obs = await pjlink_probe.observe(target, SPEC, make_ctx(3), password="JBMIAProjectorLink")
    assert obs.ok is True, obs.error
    assert obs.details["authenticated"] is True
    assert obs.values["software_version"] == "1.04"
    assert obs.values["pjlink_class"] == 2
    # the digest goes before the first command only
    assert projector.received[0] == "5d8409bc1c3fa39749434aa3a5c38682%1CLSS ?"
    assert projector.received[1] == "%1POWR ?"
    assert projector.received[-1] == "%2SVER ?"


async def test_a_wrong_password_fails(servers: Servers, make_ctx: MakeCtx) -> None:
    target = await serve(servers, Projector(password="right"))
    obs = await pjlink_probe.observe(target, SPEC, make_ctx(3), password="wrong")
    assert obs.ok is False
    assert obs.error == "wrong PJLink password (PJLINK ERRA)"
    assert obs.values == {}


async def test_a_password_the_probe_does_not_have_fails_and_says_how_to_fix_it(
    servers: Servers, make_ctx: MakeCtx
) -> None:
    target = await serve(servers, Projector(password="secret"))
    obs = await pjlink_probe.probe(target, SPEC, make_ctx(3))
    assert obs.ok is False
    assert obs.error == (
        "the projector asks for a PJLink password: store one with `sitekeeper credentials set "
        "NAME --kind password` and refer to it with `credentials: NAME`"
    )


async def test_the_probe_takes_the_password_from_the_resolved_credentials(
    servers: Servers, make_ctx: MakeCtx
) -> None:
    target = await serve(servers, Projector(password="secret"))
    with_creds = dataclasses.replace(target, credentials={"kind": "password", "password": "secret"})
    obs = await pjlink_probe.probe(with_creds, SPEC, make_ctx(3))
    assert obs.ok is True, obs.error
    assert obs.values["power"] == 1
    assert "secret" not in repr(with_creds)


async def test_a_lamp_error_is_a_value_that_thresholds_judge(
    servers: Servers, make_ctx: MakeCtx
) -> None:
    projector = Projector()
    projector.state["ERST"] = "020010"
    obs = await pjlink_probe.probe(await serve(servers, projector), SPEC, make_ctx(3))
    assert obs.ok is True  # the projector answered; what it said is for the engine to judge
    assert obs.values["error_lamp"] == 2
    assert obs.values["error_filter"] == 1
    # the implicit thresholds of a PJLink check: error -> CRIT, warning -> WARN, in words
    status, reason = classify(obs, SPEC)
    assert status is CheckStatus.CRIT
    assert reason == "lamp error (error_lamp 2)"
    projector.state["ERST"] = "000010"
    obs = await pjlink_probe.probe(await serve(servers, projector), SPEC, make_ctx(3))
    assert classify(obs, SPEC) == (CheckStatus.WARN, "filter warning (error_filter 1)")
    quiet = PjlinkCheck(judge_errors=False)
    assert classify(obs, quiet) == (CheckStatus.OK, "ok")


async def test_lamp_hours_past_the_bounds_warn_then_crit(
    servers: Servers, make_ctx: MakeCtx
) -> None:
    obs = await pjlink_probe.probe(await serve(servers, Projector()), SPEC, make_ctx(3))
    hours = obs.values["lamp_hours"]
    assert isinstance(hours, int)
    spec = PjlinkCheck(lamp_hours_warn=hours - 1, lamp_hours_crit=hours + 1)
    assert classify(obs, spec)[0] is CheckStatus.WARN
    spec = PjlinkCheck(lamp_hours_warn=hours - 10, lamp_hours_crit=hours - 1)
    assert classify(obs, spec) == (
        CheckStatus.CRIT,
        f"lamp hours past the replacement point (lamp_hours {hours})",
    )


@pytest.mark.parametrize(("code", "word"), [(0, "off"), (1, "on"), (2, "cooling"), (3, "warm-up")])
async def test_it_reports_each_power_state(
    servers: Servers, make_ctx: MakeCtx, code: int, word: str
) -> None:
    projector = Projector()
    projector.state["POWR"] = str(code)
    obs = await pjlink_probe.probe(await serve(servers, projector), SPEC, make_ctx(3))
    assert (obs.values["power"], obs.values["power_state"]) == (code, word)


async def test_it_reports_each_lamp_of_a_two_lamp_projector(
    servers: Servers, make_ctx: MakeCtx
) -> None:
    projector = Projector()
    projector.state["LAMP"] = "2100 1 3050 0"
    obs = await pjlink_probe.probe(await serve(servers, projector), SPEC, make_ctx(3))
    assert obs.values["lamp_hours"] == 3050
    assert obs.values["lamp_on"] == 1
    assert (obs.values["lamp_hours.1"], obs.values["lamp_on.2"]) == (2100, 0)


async def test_a_display_without_a_lamp_answers_err1_and_is_still_ok(
    servers: Servers, make_ctx: MakeCtx
) -> None:
    projector = Projector()
    del projector.state["LAMP"]
    obs = await pjlink_probe.probe(await serve(servers, projector), SPEC, make_ctx(3))
    assert obs.ok is True
    assert "lamp_hours" not in obs.values
    assert obs.details["reply_LAMP"] == "ERR1"


async def test_a_silent_projector_times_out_at_the_deadline(
    servers: Servers, make_ctx: MakeCtx
) -> None:
    target = await serve(servers, Projector(silent=True))
    t0 = time.monotonic()
    obs = await pjlink_probe.probe(target, SPEC, make_ctx(1.0))
    assert obs.ok is False
    assert obs.error == "timed out after 1.0s waiting for the PJLink greeting"
    assert time.monotonic() - t0 <= 1.0 + SLACK


async def test_a_projector_that_greets_then_stays_silent_times_out(
    servers: Servers, make_ctx: MakeCtx
) -> None:
    target = await serve(servers, Projector(mute_after_greeting=True))
    obs = await pjlink_probe.probe(target, SPEC, make_ctx(1.0))
    assert obs.ok is False
    assert obs.error == "timed out after 1.0s waiting for replies to the status queries"


async def test_something_that_is_not_pjlink_fails(servers: Servers, make_ctx: MakeCtx) -> None:
    target = await serve(servers, Projector(greeting=b"SSH-2.0-OpenSSH_9.2\r\n"))
    obs = await pjlink_probe.probe(target, SPEC, make_ctx(2))
    assert obs.ok is False
    assert obs.error == 'not a PJLink greeting: "SSH-2.0-OpenSSH_9.2"'


async def test_an_endless_line_is_cut_off(servers: Servers, make_ctx: MakeCtx) -> None:
    target = await serve(servers, Projector(greeting=b"PJLINK " + b"x" * 10_000))
    obs = await pjlink_probe.probe(target, SPEC, make_ctx(2))
    assert obs.ok is False
    assert obs.error == "a line longer than 256 bytes: not PJLink"


async def test_a_refused_port_fails(closed_port: int, make_ctx: MakeCtx) -> None:
    target = Target(check_id=1, address=LOOPBACK, port=closed_port)
    obs = await pjlink_probe.probe(target, SPEC, make_ctx(2))
    assert obs.ok is False
    assert obs.error == "connection refused"


# --- the client alone -----------------------------------------------------------------------


def test_the_digest_matches_the_specification_example() -> None:
    assert (
        pjlink.auth_digest("498e4a67", "JBMIAProjectorLink") == "5d8409bc1c3fa39749434aa3a5c38682"
    )


async def test_the_client_reports_each_error_code(servers: Servers) -> None:
    projector = Projector()
    projector.state.update({"POWR": "ERR3", "INPT": "ERR2", "NAME": "err4"})
    port = await servers.tcp(projector.handler(servers.release))
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    try:
        session = await pjlink.PjlinkSession.open(reader, writer, None)
        status = await pjlink.read_status(session)
    finally:
        writer.close()
        await writer.wait_closed()
    assert status.errors == {"POWR": "ERR3", "INPT": "ERR2", "NAME": "ERR4"}
    assert status.power is None


@pytest.mark.parametrize("value", ["", "12 1 5", "12 x", "abc 1"])
def test_it_rejects_a_malformed_lamp_reply(value: str) -> None:
    with pytest.raises(ValueError):
        pjlink.parse_lamps(value)


@pytest.mark.parametrize("value", ["", "00000", "0000000", "00300x", "abcdef"])
def test_it_rejects_a_malformed_error_status(value: str) -> None:
    with pytest.raises(ValueError):
        pjlink.parse_errors(value)
