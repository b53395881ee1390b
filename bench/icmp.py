"""ICMP echo cost: sitekeeper's pinger against fping, on the same loopback addresses in the
same run.

    python bench/icmp.py                                                # 7 rounds
    python bench/icmp.py --rounds 3 --targets 1000 --count 10 --paced-count 5   # quick

Targets are `--targets` addresses in 127.0.0.0/8, which the kernel answers itself, so the only
programs at work are the pingers (and the kernel on their behalf). In each sweep both sides
send the same number of echoes of 56 data bytes to every target, a fixed period apart per
target, wait up to `--wait-ms` for each reply, and pace nothing else (fping `-i 0`; our pings
all start at once, as a collector's checks due together would). Two sweeps:

- burst: `--count` echoes per target 1 ms apart, which neither side can keep up with: the
  rate is what each manages when CPU-bound, and the CPU per echo is at full load. These are
  the headline `rate_ratio` and `cpu_per_echo_ratio`.
- paced: `--paced-count` echoes per target `--paced-period-ms` apart (200 ms: 10,000 echoes
  a second for 2,000 targets), a rate both keep up with: what an echo costs when the pinger
  wakes up for a few of them at a time.

CPU: ours from getrusage() in a child process that does only the pinging (a fresh pinger per
sweep, so no ICMP socket of ours is open while fping runs, and the opening is counted);
fping's from getrusage(RUSAGE_CHILDREN) around its run (process start included, ~1 ms).
User and system time both count: on loopback the kernel makes each reply in the sender's
system call, and both sides pay that alike. Rounds alternate ours and fping; figures are
medians over the rounds, and each ratio is the median of the rounds' ratios (ours / fping).

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from peers import ensure_debian_package

FPING = Path("/usr/bin/fping")
PAYLOAD = 56  # both sides' default
BURST_PERIOD_MS = 1.0
FPING_TALLY = re.compile(r"xmt/rcv/%loss = (\d+)/(\d+)/")


@dataclass
class Sweep:
    """One side's sweep: echoes sent and answered, wall time, CPU."""

    sent: int
    received: int
    seconds: float
    cpu_s: float
    sys_s: float

    @property
    def rate(self) -> float:
        return self.received / max(self.seconds, 1e-9)

    @property
    def cpu_us(self) -> float:
        return self.cpu_s * 1e6 / max(self.received, 1)


def targets(n: int) -> list[str]:
    """`n` distinct addresses in 127.20.0.0/14, none ending in .0 or .255."""
    return [f"127.{20 + i // 62500}.{i // 250 % 250}.{i % 250 + 1}" for i in range(n)]


# --- ours, in a child process --------------------------------------------------------------


async def _our_sweep(
    addresses: list[str], count: int, period_ms: float, wait_ms: float, privileged: bool
) -> Sweep:
    from sitekeeper.protocols.icmp import Pinger

    usage0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    pinger = Pinger(privileged=privileged)
    try:
        results = await asyncio.gather(
            *(
                pinger.ping(
                    a,
                    count=count,
                    interval=period_ms / 1000,
                    wait=wait_ms / 1000,
                    payload_size=PAYLOAD,
                )
                for a in addresses
            )
        )
    finally:
        await pinger.close()
    seconds, usage1 = time.monotonic() - t0, resource.getrusage(resource.RUSAGE_SELF)
    sys_s = usage1.ru_stime - usage0.ru_stime
    return Sweep(
        sent=sum(r.packets_sent for r in results),
        received=sum(r.packets_received for r in results),
        seconds=seconds,
        cpu_s=usage1.ru_utime - usage0.ru_utime + sys_s,
        sys_s=sys_s,
    )


def _ours_child(conn: Connection) -> None:
    """Answer each (addresses, count, period_ms, wait_ms, privileged) with a Sweep's fields;
    None stops. On the loop the collector runs on (`sitekeeper.eventloop`: uvloop where
    installed), so what is measured is what runs."""
    from sitekeeper import eventloop

    try:
        while (job := conn.recv()) is not None:
            conn.send(asdict(eventloop.run(_our_sweep(*job))))
    except BaseException as err:
        conn.send({"error": repr(err)})
        raise


class Ours:
    """Our pinger in its own process, so its CPU is the pinging alone."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_ours_child, args=(child,), daemon=True)
        self.proc.start()
        child.close()

    def sweep(self, job: tuple[list[str], int, float, float, bool], limit: float) -> Sweep:
        self.conn.send(job)
        if not self.conn.poll(limit):
            raise RuntimeError(f"our sweep did not finish in {limit:.0f} s")
        result: dict[str, Any] = self.conn.recv()
        if "error" in result:
            raise RuntimeError(f"our sweep failed: {result['error']}")
        return Sweep(**result)

    def close(self) -> None:
        if self.proc.is_alive():
            with suppress(OSError):
                self.conn.send(None)
            self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


# --- fping ---------------------------------------------------------------------------------


def fping_sweep(
    fping: Path, addresses: list[str], count: int, period_ms: float, wait_ms: float, limit: float
) -> Sweep:
    cmd = [
        str(fping),
        "-q",  # a summary line per target at the end, on stderr
        f"-c{count}",
        f"-p{period_ms:g}",
        f"-t{wait_ms:g}",
        "-i0",  # no pause between any two echoes
        f"-b{PAYLOAD}",
        *addresses,
    ]
    usage0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, check=False)
    seconds, usage1 = time.monotonic() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    tallies = FPING_TALLY.findall(done.stderr)
    if len(tallies) != len(addresses):
        raise RuntimeError(f"fping exited {done.returncode}: {done.stderr[-2000:]}")
    sys_s = usage1.ru_stime - usage0.ru_stime
    return Sweep(
        sent=sum(int(x) for x, _ in tallies),
        received=sum(int(r) for _, r in tallies),
        seconds=seconds,
        cpu_s=usage1.ru_utime - usage0.ru_utime + sys_s,
        sys_s=sys_s,
    )


# --- the run -------------------------------------------------------------------------------


def summarise(kind: str, ours: list[Sweep], theirs: list[Sweep]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for side, sweeps in (("ours", ours), ("fping", theirs)):
        result[f"{kind}_{side}_per_s"] = round(statistics.median(s.rate for s in sweeps))
        result[f"{kind}_{side}_cpu_us"] = round(statistics.median(s.cpu_us for s in sweeps), 2)
        sys_pct = statistics.median(100 * s.sys_s / max(s.cpu_s, 1e-9) for s in sweeps)
        result[f"{kind}_{side}_sys_pct"] = round(sys_pct)
        result[f"{kind}_{side}_lost"] = sum(s.sent - s.received for s in sweeps)
    rate = [a.rate / max(b.rate, 1e-9) for a, b in zip(ours, theirs, strict=True)]
    cpu = [a.cpu_us / max(b.cpu_us, 1e-9) for a, b in zip(ours, theirs, strict=True)]
    result[f"{kind}_rate_ratio"] = round(statistics.median(rate), 2)
    result[f"{kind}_cpu_per_echo_ratio"] = round(statistics.median(cpu), 2)
    result[f"{kind}_cpu_per_echo_ratio_max"] = round(max(cpu), 2)
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    from sitekeeper.probes.icmp import IcmpAccess, detect_access

    access = detect_access()
    if access is IcmpAccess.DENIED:
        raise SystemExit("icmp bench: this process may open neither ping nor raw ICMP sockets")
    fping = ensure_debian_package("fping", FPING)
    addresses = targets(args.targets)
    privileged = access is IcmpAccess.PRIVILEGED
    result: dict[str, Any] = {
        "targets": args.targets,
        "count": args.count,
        "paced_count": args.paced_count,
        "paced_period_ms": args.paced_period_ms,
        "rounds": args.rounds,
        "socket": "raw" if privileged else "ping (SOCK_DGRAM)",
    }
    ours = Ours()
    try:
        sweeps = (
            ("burst", args.count, BURST_PERIOD_MS),
            ("paced", args.paced_count, args.paced_period_ms),
        )
        for kind, count, period in sweeps:
            # no sweep should take longer than every echo sent late and then lost
            limit = 30 + args.targets * count * 1e-3 + count * period / 1000
            job = (addresses, count, period, args.wait_ms, privileged)
            ours.sweep(job, limit)  # warm-up: imports, first socket, caches
            mine: list[Sweep] = []
            theirs: list[Sweep] = []
            for i in range(args.rounds):
                print(f"icmp bench: {kind}, round {i + 1}/{args.rounds}", file=sys.stderr)
                mine.append(ours.sweep(job, limit))
                theirs.append(fping_sweep(fping, addresses, count, period, args.wait_ms, limit))
            result |= summarise(kind, mine, theirs)
    finally:
        ours.close()
    result["rate_ratio"] = result["burst_rate_ratio"]
    result["cpu_per_echo_ratio"] = result["burst_cpu_per_echo_ratio"]
    return result


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rounds", type=int, default=7, help="ours-then-fping pairs per sweep")
    ap.add_argument("--targets", type=int, default=2000, help="addresses in 127.20.0.0/14")
    ap.add_argument("--count", type=int, default=20, help="echoes per target, burst sweep")
    ap.add_argument("--paced-count", type=int, default=10, help="echoes per target, paced")
    ap.add_argument("--wait-ms", type=float, default=1000.0, help="wait for each reply")
    ap.add_argument(
        "--paced-period-ms", type=float, default=200.0, help="per-target period, paced sweep"
    )
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    if min(args.rounds, args.targets, args.count, args.paced_count) < 1:
        ap.error("--rounds, --targets, --count and --paced-count must be at least 1")
    if args.targets > 250_000:
        ap.error("--targets: at most 250,000 (127.20.0.0/14)")
    if os.geteuid() != 0:
        print("icmp bench: fping's -i 0 needs root; expect it to refuse", file=sys.stderr)
    json.dump(run(args), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
