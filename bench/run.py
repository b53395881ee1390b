"""Run the benchmarks and write docs/benchmarks.md.

    python bench/run.py            # every workload, 3 repeats each
    python bench/run.py --quick    # a short subset (about 2 minutes)

Each workload is a script in bench/ that prints one JSON object; it runs in its own process,
repeats are reported as median and min-max.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOC = HERE.parent / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Workload:
    name: str
    script: str
    args: tuple[str, ...]
    quick_args: tuple[str, ...]
    keys: tuple[tuple[str, str], ...]  # (result key, label)
    about: str


WORKLOADS = [
    Workload(
        name="Collector end to end at 1,000 checks/s",
        script="collector_lateness.py",
        args=("--rate", "1000", "--seconds", "60"),
        quick_args=("--rate", "1000", "--seconds", "20"),
        keys=(
            ("runs_per_s", "check runs per second"),
            ("lateness_p50_ms", "start lateness p50 (ms)"),
            ("lateness_p99_ms", "start lateness p99 (ms)"),
            ("lateness_max_ms", "start lateness max (ms)"),
            ("missed", "missed runs"),
            ("overlaps_prevented", "overlaps prevented"),
            ("stored_per_s", "results stored per second"),
            ("cpu_ms_per_check", "CPU per check (ms)"),
            ("cpu_utilisation", "CPU used (cores)"),
        ),
        about=(
            "10,000 TCP checks at a 10 s interval against 50 loopback listeners in another "
            "process; schedule → tcp probe → state engine → SQLite store, in one process. "
            "Measured after a 12 s warm-up."
        ),
    ),
]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()} ({platform.machine()}), {os.cpu_count()} CPUs "
        f"({cpu}), Python {platform.python_version()}"
    )


def run_once(w: Workload, quick: bool) -> dict[str, float]:
    args = w.quick_args if quick else w.args
    out = subprocess.run(
        [sys.executable, str(HERE / w.script), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def fmt(values: list[float]) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:g}"
    return f"{med:g} ({min(values):g}–{max(values):g})"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="one short repeat of each workload")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    repeats = 1 if args.quick else args.repeats
    sections = []
    for w in WORKLOADS:
        results = []
        for i in range(repeats):
            print(f"{w.name}: run {i + 1}/{repeats} ...", file=sys.stderr, flush=True)
            results.append(run_once(w, args.quick))
        rows = "\n".join(
            f"| {label} | {fmt([float(r[key]) for r in results])} |" for key, label in w.keys
        )
        sections.append(
            f"## {w.name}\n\n{w.about}\n\n| figure | median (min–max over {repeats} "
            f"run{'s' if repeats > 1 else ''}) |\n|---|---|\n{rows}\n"
        )
    DOC.write_text(
        "# Benchmarks\n\n"
        "Written by `make bench` (`make bench-quick` for a short run); do not edit by hand.\n\n"
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}\n"
        f"- Machine: {machine()}\n"
        f"- Mode: {'quick' if args.quick else 'full'}\n\n"
        "Absolute figures on a shared machine drift; compare within one run.\n\n"
        + "\n".join(sections),
        encoding="utf-8",
    )
    print(f"wrote {DOC}", file=sys.stderr)


if __name__ == "__main__":
    main()
