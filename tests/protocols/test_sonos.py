"""Sonos probe against an in-test aiohttp server on loopback, and description parsing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from sitekeeper.checks.specs_devices import SonosCheck
from sitekeeper.probes import sonos as sonos_probe
from sitekeeper.probes.base import Target
from sitekeeper.protocols import sonos

from .conftest import LOOPBACK, SLACK, MakeCtx

DESCRIPTION = (Path(__file__).parent / "fixtures" / "sonos_one_description.xml").read_bytes()


class Player:
    """An aiohttp app that serves a device description (or misbehaves)."""

    def __init__(self) -> None:
        self.body: bytes = DESCRIPTION
        self.status = 200
        self.hang = asyncio.Event()
        self.hanging = False

    async def describe(self, _: web.Request) -> web.Response:
        if self.hanging:
            await self.hang.wait()
        return web.Response(body=self.body, status=self.status, content_type="text/xml")


@pytest.fixture
async def player() -> AsyncIterator[tuple[Player, Target]]:
    speaker = Player()
    app = web.Application()
    app.router.add_get(sonos.PATH, speaker.describe)
    runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, LOOPBACK, 0).start()
    port = int(runner.addresses[0][1])
    yield speaker, Target(check_id=1, address=LOOPBACK, port=port, name="kitchen")
    speaker.hang.set()
    await runner.cleanup()


async def test_it_reads_model_version_and_room(
    player: tuple[Player, Target], make_ctx: MakeCtx
) -> None:
    _, target = player
    obs = await sonos_probe.probe(target, SonosCheck(), make_ctx(2))
    assert obs.ok is True, obs.error
    assert obs.values == {
        "http_status": 200,
        "model": "Sonos One",
        "model_number": "S18",
        "software_version": "79.1-56030",
        "display_version": "16.1",
        "room": "Kitchen",
        "zone_type": "11",
    }


async def test_a_renamed_or_reset_player_fails_the_room_check(
    player: tuple[Player, Target], make_ctx: MakeCtx
) -> None:
    _, target = player
    obs = await sonos_probe.probe(target, SonosCheck(expect_room="Living Room"), make_ctx(2))
    assert obs.ok is False
    assert obs.error == 'room is "Kitchen", expected "Living Room"'
    assert obs.values["room"] == "Kitchen"


async def test_a_non_sonos_page_fails(player: tuple[Player, Target], make_ctx: MakeCtx) -> None:
    speaker, target = player
    speaker.body = b"<html><body>router login</body></html>"
    obs = await sonos_probe.probe(target, SonosCheck(), make_ctx(2))
    assert obs.ok is False
    assert obs.error == "no <device> in the device description"


async def test_an_http_error_fails(player: tuple[Player, Target], make_ctx: MakeCtx) -> None:
    speaker, target = player
    speaker.status = 500
    obs = await sonos_probe.probe(target, SonosCheck(), make_ctx(2))
    assert obs.ok is False
    assert obs.values["http_status"] == 500
    assert obs.error == "the device description answered HTTP 500"


async def test_a_hanging_player_times_out_at_the_deadline(
    player: tuple[Player, Target], make_ctx: MakeCtx
) -> None:
    speaker, target = player
    speaker.hanging = True
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    obs = await sonos_probe.probe(target, SonosCheck(), make_ctx(1.0))
    assert obs.ok is False
    assert obs.error == "timed out after 1.0s waiting for the device description"
    assert loop.time() - t0 <= 1.0 + SLACK


async def test_a_refused_port_fails(closed_port: int, make_ctx: MakeCtx) -> None:
    obs = await sonos_probe.probe(Target(1, LOOPBACK, closed_port), SonosCheck(), make_ctx(2))
    assert obs.ok is False
    assert obs.error == "connection refused"


async def test_an_oversized_description_is_refused(
    player: tuple[Player, Target], make_ctx: MakeCtx
) -> None:
    speaker, target = player
    speaker.body = b"<root>" + b" " * (sonos.MAX_BYTES + 10) + b"</root>"
    obs = await sonos_probe.probe(target, SonosCheck(), make_ctx(2))
    assert obs.ok is False
    assert obs.error == "the device description is larger than 256 KiB"


# --- parsing alone --------------------------------------------------------------------------

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<root><device><modelName>&lol2;</modelName></device></root>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<root><device><modelName>&x;</modelName></device></root>"""


@pytest.mark.parametrize("document", [BOMB, XXE], ids=["entity-expansion", "external-entity"])
def test_it_refuses_a_dtd(document: bytes) -> None:
    with pytest.raises(sonos.NotSonos, match="declares a DTD"):
        sonos.parse_description(document)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (b"", "not XML"),
        (b"<root><device>", "not XML"),
        (b"<root/>", "no <device>"),
        (b"<root><device><modelName> </modelName></device></root>", "no modelName"),
        (
            b"<root><device><manufacturer>Acme</manufacturer><modelName>X</modelName></device></root>",
            '"Acme", not Sonos',
        ),
    ],
)
def test_it_says_why_a_document_is_not_a_description(document: bytes, problem: str) -> None:
    with pytest.raises(sonos.NotSonos, match=problem):
        sonos.parse_description(document)


def test_it_reads_a_description_without_the_namespace() -> None:
    found = sonos.parse_description(
        b"<root><device><modelName>Sonos Five</modelName><roomName>Den</roomName></device></root>"
    )
    assert (found.model_name, found.room_name, found.software_version) == (
        "Sonos Five",
        "Den",
        None,
    )
