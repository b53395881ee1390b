"""Run inside a fresh network namespace (`unshare --net python icmp_netns_forged.py ping|raw`)
by test_icmp_engine.py: loopback is told not to answer echoes, and a raw socket of the
script's own sees each echo request the pinger sends and answers it itself, first with a
wrong token, then rightly, or only after the echo has timed out. Prints one JSON object."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sitekeeper.protocols.icmp import Pinger

ECHO = struct.Struct("!BBHHHII")  # type, code, checksum, identifier, sequence, token
WAIT = 0.3


def sysctl(name: str, value: str) -> None:
    Path("/proc/sys", *name.split(".")).write_text(value)


def checksum(data: bytes) -> int:
    total = int.from_bytes(data + b"\0" * (len(data) % 2), "big") % 0xFFFF
    return ~total & 0xFFFF if total else 0


class Forger:
    """A raw socket that sees the echo requests on loopback and answers them its own way."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        self.sock.setblocking(False)

    async def request(self) -> tuple[int, int, int, int, bytes]:
        """The next echo request: identifier, sequence, token halves, rest of the payload."""
        loop = asyncio.get_running_loop()
        for _ in range(100):
            data = await loop.sock_recv(self.sock, 65535)
            at = (data[0] & 0x0F) << 2
            if data[at] == 8:
                _, _, _, ident, seq, salt, number = ECHO.unpack_from(data, at)
                return ident, seq, salt, number, data[at + ECHO.size :]
        raise AssertionError("no echo request seen")

    def reply(self, ident: int, seq: int, salt: int, number: int, rest: bytes) -> None:
        bare = ECHO.pack(0, 0, 0, ident, seq, salt, number) + rest
        packet = ECHO.pack(0, 0, checksum(bare), ident, seq, salt, number) + rest
        self.sock.sendto(packet, ("127.0.0.1", 0))


async def scenario(privileged: bool) -> dict[str, Any]:
    pinger, forger = Pinger(privileged=privileged), Forger()
    try:
        # a wrong token for a waiting echo is dropped; the right one answers it
        task = asyncio.create_task(pinger.ping("127.0.0.1", count=1, wait=WAIT))
        ident, seq, salt, number, rest = await forger.request()
        forger.reply(ident, seq, salt, number ^ 1, rest)
        forger.reply(ident, seq, salt ^ 1, number, rest)
        await asyncio.sleep(0.02)
        waiting_after_wrong = pinger.in_flight
        forger.reply(ident, seq, salt, number, rest)
        forger.reply(ident, seq, salt, number, rest)  # a duplicate
        answered = await task
        # an echo that timed out is not answered by its reply coming late
        task = asyncio.create_task(pinger.ping("127.0.0.1", count=1, wait=WAIT))
        late = await forger.request()
        timed_out = await task
        forger.reply(*late)
        await asyncio.sleep(0.05)
        return {
            "waiting_after_wrong": waiting_after_wrong,
            "answered": [answered.packets_sent, answered.packets_received],
            "timed_out": [timed_out.packets_sent, timed_out.packets_received],
            "in_flight": pinger.in_flight,
            "stats": asdict(pinger.stats),
        }
    finally:
        forger.sock.close()
        await pinger.close()


def main() -> None:
    mode = sys.argv[1]
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    sysctl("net.ipv4.ping_group_range", "0 2147483647")
    sysctl("net.ipv4.icmp_echo_ignore_all", "1")
    json.dump(asyncio.run(scenario(privileged=mode == "raw")), sys.stdout)


if __name__ == "__main__":
    main()
