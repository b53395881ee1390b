"""The advisor model at scale: `simulate()` on a 500-device estate, 10,000 trial-years.

    python bench/advisor.py --trials 10000 --repeats 3
    python bench/advisor.py --profile      # one cProfile run; top functions on stderr

The estate is a campus built like the tests' 40-device office, scaled up: dual routers into a
core switch, UPSes feeding the core, the servers and the access switches, 16 access switches
carrying the seats, access points and cameras, meeting rooms whose AV controller the room's
display, audio, lighting and projector depend on, and every seat depending on its access
switch and one of the servers. Ages and criticalities are drawn once from a fixed seed, so every
run simulates the same estate.

Each repeat is one `simulate(estate, client, params, trials, seed)` call with the default model
parameters (power cuts, batteries, security and wear-out all on), timed by wall clock and by
getrusage() CPU time. Prints one JSON object; figures over the repeats are median, min and max.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import statistics
import sys
import time
from typing import Any

import numpy as np

from sitekeeper.plan import (
    DEFAULT_PROFILES,
    ClientParams,
    Device,
    Edge,
    Estate,
    ModelParams,
    simulate,
)

GOAL_S = 3.0
ACCESS_SWITCHES = 16
SERVERS = 4
ROOMS = 10
PROJECTORS = 4  # the first rooms also have a projector
APS = 24
CAMERAS = 80


def campus(devices: int = 500, seed: int = 7) -> Estate:
    """A single-site estate of `devices` devices: 181 of infrastructure, rooms and cameras,
    and seats making up the rest, sharing 60% of the business between them."""
    rng = np.random.default_rng(seed)
    devs: list[Device] = []
    edges: list[Edge] = []

    def add(dev_id: str, cls: str, cost: float, w: float = 0.0, **kw: Any) -> str:
        age = round(float(rng.uniform(0.5, 7.0)), 2)
        devs.append(Device(dev_id, cls, age, w, cost, **kw))
        return dev_id

    for r in ("router1", "router2"):
        add(r, "router", 800.0)
    core = add("core", "switch", 6000.0)
    edges += [Edge(r, core, redundant=True) for r in ("router1", "router2")]
    core_ups = [
        add(f"ups-core{i}", "ups", 3000.0, battery_age_y=round(float(rng.uniform(0.5, 5)), 2))
        for i in range(2)
    ]
    servers = [add(f"server{i}", "server", 9000.0, 0.05) for i in range(SERVERS)]
    storage = [add(f"nas{i}", "nas", 2500.0) for i in range(2)]
    nvrs = [add(f"nvr{i}", "nvr", 2000.0) for i in range(2)]
    for i, u in enumerate(core_ups):
        edges.append(Edge(u, core))
        edges += [Edge(u, s) for s in servers[i::2] + storage[i::2]]
    edges += [Edge(core, d) for d in servers + storage + nvrs]

    # one UPS per wiring closet of four access switches, in a warmer room than the core's
    closet_ups = [
        add(
            f"ups-idf{i}",
            "ups",
            1200.0,
            ambient_c=30.0,
            battery_age_y=round(float(rng.uniform(0.5, 5)), 2),
        )
        for i in range(ACCESS_SWITCHES // 4)
    ]
    access = [add(f"sw{i:02d}", "switch", 1500.0) for i in range(ACCESS_SWITCHES)]
    for i, sw in enumerate(access):
        edges += [Edge(core, sw), Edge(closet_ups[i // 4], sw)]

    for i in range(ROOMS):
        ctl = add(f"room{i}", "av_control", 2500.0, 0.01)
        edges.append(Edge(access[i % ACCESS_SWITCHES], ctl))
        parts = ["display", "audio", "lighting"] + (["projector"] if i < PROJECTORS else [])
        for cls in parts:
            edges.append(Edge(ctl, add(f"room{i}-{cls}", cls, 1500.0)))
    for i in range(APS):
        edges.append(Edge(access[i % ACCESS_SWITCHES], add(f"ap{i:02d}", "ap", 400.0)))
    for i in range(CAMERAS):
        cam = add(f"cam{i:02d}", "camera", 300.0, 0.0005)
        edges.append(Edge(access[i % ACCESS_SWITCHES], cam))

    seats = devices - len(devs)
    if seats < 1:
        raise SystemExit(f"--devices {devices}: need more than {len(devs)} for the campus")
    for i in range(seats):
        ws = add(f"ws{i:03d}", "workstation", 1200.0, round(0.6 / seats, 6))
        edges += [Edge(access[i % ACCESS_SWITCHES], ws), Edge(servers[i % SERVERS], ws)]
    return Estate(tuple(devs), tuple(edges), DEFAULT_PROFILES)


def cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def measure(estate: Estate, trials: int, repeats: int, seed: int) -> dict[str, Any]:
    client = ClientParams(20000.0)
    params = ModelParams()
    simulate(estate, client, params, 200, seed)  # warm-up: first-touch costs, not measured
    walls, cpus = [], []
    for i in range(repeats):
        c0, t0 = cpu_s(), time.perf_counter()
        sim = simulate(estate, client, params, trials, seed + i)
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_s() - c0)
        print(f"repeat {i + 1}: {walls[-1]:.3f} s wall, {cpus[-1]:.3f} s CPU", file=sys.stderr)
        if len(sim.bf.hardware) != trials:
            raise SystemExit(f"simulate returned {len(sim.bf.hardware)} trials, not {trials}")
    wall = statistics.median(walls)
    return {
        "devices": len(estate.devices),
        "edges": len(estate.edges),
        "trials": trials,
        "repeats": repeats,
        "wall_s": round(wall, 3),
        "wall_min_s": round(min(walls), 3),
        "wall_max_s": round(max(walls), 3),
        "cpu_s": round(statistics.median(cpus), 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "trial_devices_m_per_s": round(trials * len(estate.devices) / wall / 1e6, 3),
        "goal_ratio": round(wall / (GOAL_S * trials / 10_000), 3),
    }


def profile(estate: Estate, trials: int, seed: int, top: int) -> None:
    """One simulate() under cProfile; the top functions by cumulative and own time to stderr."""
    client, params = ClientParams(20000.0), ModelParams()
    simulate(estate, client, params, 200, seed)
    prof = cProfile.Profile()
    prof.enable()
    simulate(estate, client, params, trials, seed)
    prof.disable()
    for order in ("cumulative", "tottime"):
        print(f"--- top {top} by {order} ---", file=sys.stderr)
        pstats.Stats(prof, stream=sys.stderr).strip_dirs().sort_stats(order).print_stats(top)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--trials", type=int, default=10_000, help="trial-years per simulation")
    ap.add_argument("--devices", type=int, default=500, help="estate size (more than 181)")
    ap.add_argument("--repeats", type=int, default=3, help="timed simulations (at least 3)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--profile", action="store_true", help="profile one run instead (stderr)")
    ap.add_argument("--top", type=int, default=25, help="functions shown by --profile")
    args = ap.parse_args()
    if args.repeats < 3:
        ap.error(f"--repeats {args.repeats}: need at least 3 for a median and a spread")
    estate = campus(args.devices)
    if args.profile:
        profile(estate, args.trials, args.seed, args.top)
        return
    json.dump(measure(estate, args.trials, args.repeats, args.seed), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
