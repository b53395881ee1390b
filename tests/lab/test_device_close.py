"""A device that goes down cuts every connection it has accepted, even one accepted in the
loop iteration that takes it down: by the time `close()` returns, every client sees its
connection closed, and nothing of the device is left for the garbage collector to find open
(an "unclosed transport" ResourceWarning, which this suite treats as an error)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import select
import socket
import time
import warnings

import pytest

from sitekeeper.errors import LabError
from sitekeeper.inventory.kinds import DeviceKind
from sitekeeper.lab.device import Shared, SimDevice
from sitekeeper.lab.plan import DevicePlan

CLIENTS = 40  # fewer than the listen backlog: every connect completes before any accept
# Loop iterations between the connects and the close. On asyncio's own loop these close the
# device before the accept, between the accept and the transport, before `connection_made`,
# and before the handler has started.
YIELDS = range(5)
ROUNDS = 3
CUT_WITHIN_S = 1.0


async def _open_device(service: str) -> tuple[SimDevice, str, int]:
    """A device listening on `service` somewhere free on 127.78.0.0/16."""
    last: LabError | None = None
    for _ in range(5):
        address = f"127.78.{random.randint(1, 254)}.{random.randint(1, 254)}"
        port = random.randrange(20000, 30000)
        plan = DevicePlan(
            id="cam-1",
            kind=DeviceKind.CAMERA,
            name="cam-1",
            vendor="Generic",
            model="camera",
            firmware="1.0",
            address=address,
            ports={service: port},
            depends_on=(),
        )
        device = SimDevice(plan, Shared(tls=None, zone={}))
        try:
            await device.open()
        except LabError as err:
            last = err
            continue
        return device, address, port
    raise AssertionError(f"no free address for a device: {last}")


def _uncut(clients: list[socket.socket]) -> int:
    """How many of these connections the device has not closed (EOF or reset) within
    CUT_WITHIN_S. The event loop does not run meanwhile: what `close()` left open stays open."""
    deadline = time.monotonic() + CUT_WITHIN_S
    waiting = list(clients)
    while waiting and (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select(waiting, [], [], left)
        for client in readable:
            with contextlib.suppress(ConnectionError):
                assert client.recv(1) == b"", "the device said something"
            waiting.remove(client)
    return len(waiting)


@pytest.mark.parametrize("service", ["smb", "https"])
async def test_closing_a_device_cuts_connections_accepted_as_it_goes_down(service: str) -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for yields in [y for y in YIELDS for _ in range(ROUNDS)]:
            device, address, port = await _open_device(service)
            with contextlib.ExitStack() as clients:
                # Plain blocking connects: the kernel completes each handshake while the
                # loop is not running, so the loop accepts them all in one iteration.
                socks = [
                    clients.enter_context(socket.create_connection((address, port), timeout=2))
                    for _ in range(CLIENTS)
                ]
                for _ in range(yields):
                    await asyncio.sleep(0)
                await device.close()
                uncut = _uncut(socks)
                assert uncut == 0, f"{uncut} connections open after close ({yields} yields)"
        gc.collect()
    leaks = [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)]
    assert not leaks, leaks[:3]
