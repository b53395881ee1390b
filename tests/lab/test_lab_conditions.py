"""Conditions: faults inside a device that still answers — seen through its own protocol."""

from __future__ import annotations

import asyncio
import json

import pytest
from labkit import start_lab

from sitekeeper.errors import LabError
from sitekeeper.lab import Lab


async def _exchange(address: str, port: int, send: bytes, until: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(address, port)
    try:
        if send:
            writer.write(send)
            await writer.drain()
        async with asyncio.timeout(5):
            return await reader.readuntil(until)
    finally:
        writer.close()
        await writer.wait_closed()


async def _pjlink(lab: Lab, command: str) -> str:
    address, port = lab.endpoint("projector", "pjlink")
    reader, writer = await asyncio.open_connection(address, port)
    try:
        async with asyncio.timeout(5):
            await reader.readuntil(b"\r")  # banner
            writer.write(f"%1{command} ?\r".encode())
            await writer.drain()
            return (await reader.readuntil(b"\r")).decode().strip()
    finally:
        writer.close()
        await writer.wait_closed()


async def _status(lab: Lab) -> dict[str, object]:
    address, port = lab.endpoint("ups", "http")
    raw = await _exchange(address, port, b"GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n", b"}}")
    return json.loads(raw.split(b"\r\n\r\n", 1)[1])  # type: ignore[no-any-return]


async def test_a_projector_lamp_error_shows_in_pjlink() -> None:
    lab = await start_lab()
    try:
        assert await _pjlink(lab, "ERST") == "%1ERST=000000"
        lab.set_condition("projector", "lamp-error")
        assert await _pjlink(lab, "ERST") == "%1ERST=020000"
        assert await _pjlink(lab, "LAMP") == "%1LAMP=1873 0"
        await lab.recover("projector")
        assert await _pjlink(lab, "ERST") == "%1ERST=000000"
    finally:
        await lab.stop()


async def test_a_ups_on_battery_says_so_and_keeps_answering() -> None:
    lab = await start_lab()
    try:
        assert (await _status(lab))["battery"]["output_source"] == "utility"  # type: ignore[index]
        lab.set_condition("ups", "on-battery")
        battery = (await _status(lab))["battery"]
        assert battery["output_source"] == "battery" and battery["on_battery"] is True  # type: ignore[index]
    finally:
        await lab.stop()


async def test_a_dead_stream_still_answers_options_but_not_describe() -> None:
    lab = await start_lab()
    try:
        address, port = lab.endpoint("cam-1", "rtsp")
        ask = "{} rtsp://x/ RTSP/1.0\r\nCSeq: 1\r\n\r\n"
        lab.set_condition("cam-1", "stream-dead")
        options = await _exchange(address, port, ask.format("OPTIONS").encode(), b"\r\n\r\n")
        assert options.startswith(b"RTSP/1.0 200")
        describe = await _exchange(address, port, ask.format("DESCRIBE").encode(), b"\r\n\r\n")
        assert describe.startswith(b"RTSP/1.0 404")
    finally:
        await lab.stop()


async def test_conditions_are_checked_against_the_device_kind() -> None:
    lab = await start_lab()
    try:
        with pytest.raises(LabError, match="applies to ups"):
            lab.set_condition("projector", "on-battery")
        with pytest.raises(LabError, match="no condition"):
            lab.set_condition("ups", "on-fire")
        with pytest.raises(LabError, match="needs a port"):
            lab.set_condition("core-switch", "port-down")
        status = lab.set_condition("core-switch", "port-down", port=7)
        assert status["conditions"] == ["port-down:7"]
    finally:
        await lab.stop()


async def test_conditions_through_the_control_api_and_the_cli() -> None:
    from typer.testing import CliRunner

    from sitekeeper.cli.app import app

    lab = await start_lab()
    try:
        assert lab.control_url is not None
        where = lab.control_url.removeprefix("http://")

        def run(*args: str) -> tuple[int, str]:
            result = CliRunner().invoke(app, ["lab", *args, "--lab", where])
            return result.exit_code, result.output

        code, out = await asyncio.to_thread(run, "on-battery", "ups")
        assert code == 0 and "on-battery" in out
        code, out = await asyncio.to_thread(run, "port-down", "core-switch", "7", "--json")
        assert code == 0 and json.loads(out)["conditions"] == ["port-down:7"]
        code, out = await asyncio.to_thread(run, "lamp-error", "ups")
        assert code == 1 and "applies to projector" in out
        code, _ = await asyncio.to_thread(run, "on-battery", "ups", "--off")
        assert lab.device_status("ups")["conditions"] == []
    finally:
        await lab.stop()
