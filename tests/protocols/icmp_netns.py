"""Run inside a fresh network namespace (`unshare --net python icmp_netns.py ping|raw`) by
test_icmp_engine.py: there the sysctls are the namespace's own, so it can allow ping sockets
and make loopback stop answering echoes without touching the machine's settings. Prints one
JSON object: what the pinger saw while loopback answered, then while it was silent."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sitekeeper.protocols.icmp import IcmpPermissionError, Pinger

ANSWERING = ["127.0.0.1", "127.0.0.2", "127.9.8.7", "::1"]
SILENT = ["127.0.0.1", "::1"]
SILENT_WAIT = 0.3


def sysctl(name: str, value: str) -> None:
    Path("/proc/sys", *name.split(".")).write_text(value)


async def scenario(privileged: bool) -> dict[str, Any]:
    pinger = Pinger(privileged=privileged)
    try:
        answered = await asyncio.gather(
            *(pinger.ping(a, count=3, interval=0.02, wait=1.0) for a in ANSWERING)
        )
        sysctl("net.ipv4.icmp_echo_ignore_all", "1")
        sysctl("net.ipv6.icmp.echo_ignore_all", "1")
        begun = time.monotonic()
        silent = await asyncio.gather(
            *(pinger.ping(a, count=2, interval=0.05, wait=SILENT_WAIT) for a in SILENT)
        )
        elapsed = time.monotonic() - begun
        return {
            "answered": {r.address: [r.packets_sent, r.packets_received] for r in answered},
            "silent": {r.address: [r.packets_sent, r.packets_received] for r in silent},
            "silent_elapsed": elapsed,
            "in_flight": pinger.in_flight,
            "stats": asdict(pinger.stats),
        }
    finally:
        await pinger.close()


async def refused() -> str:
    """What a ping socket gives while `ping_group_range` allows no group (a new namespace's
    default): the error's class name."""
    pinger = Pinger(privileged=False)
    try:
        await pinger.ping("127.0.0.1", wait=0.5)
    except IcmpPermissionError as err:
        return type(err).__name__
    finally:
        await pinger.close()
    return "answered"


def main() -> None:
    mode = sys.argv[1]
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    before = None
    if mode == "ping":
        before = asyncio.run(refused())
        sysctl("net.ipv4.ping_group_range", "0 2147483647")
    seen = asyncio.run(scenario(privileged=mode == "raw"))
    json.dump({"before_allowed": before, **seen}, sys.stdout)


if __name__ == "__main__":
    main()
