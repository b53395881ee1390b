"""Root cause at scale: 1,000 simultaneous failures in a 100,000-device dependency graph.

    python bench/rootcause.py --devices 100000 --failures 1000 --rounds 7
    python bench/rootcause.py --profile      # one round under cProfile; top functions on stderr

The graph is an MSP's estate: clients of five sites, each site a router, two core switches
under it, four access switches (half of them dual-homed to both cores with `depends_mode:
any`), and endpoints under the access switches, some of them AV devices behind a room
controller; three services per site (internet, cameras, meeting room). With 100 devices a
site, 100,000 devices are 1,000 sites of 200 clients.

Failures, 1,000 devices in all, drawn afresh each round from a fixed seed:
- whole-subtree failures: a top device (a router: the whole site; a core switch; an access
  switch) and every device it cuts off (a dual-homed access switch survives a core switch),
- scattered endpoints elsewhere, each its own root cause.
The expected root causes are the tops and the scattered endpoints.

The correlator is driven as the incidents worker drives it: the topology is built once and
kept (the worker rebuilds it only when the inventory changes), the correlator's state already
holds every device as UP (after the first tick), and the failures arrive in one tick. The
root causes open as incidents at the next tick after the hold-down. The measured time is
those two `correlate.step()` calls (`correlate_ms`); the graph build, the first tick and an
idle tick (no signals; the worker ticks every second) are timed apart. Each round checks the
opened incidents: one per injected root cause, with exactly the cut-off failures as members.
Wall time by perf_counter, single thread; prints one JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

from sitekeeper.incidents.correlate import Policy, Signal, State, step
from sitekeeper.incidents.topology import Node, Service, Topology
from sitekeeper.state.model import DeviceStatus

GOAL_MS = 100.0
SITE_DEVICES = 100
SITES_PER_CLIENT = 5
ACCESS = 4
POLICY = Policy()  # the worker's defaults: 10 s hold-down


@dataclass(frozen=True)
class Site:
    router: int
    cores: tuple[int, ...]
    access: tuple[int, ...]
    leaves: tuple[int, ...]  # endpoints nothing depends on
    ids: range  # all its devices


def build_nodes(devices: int, seed: int) -> tuple[list[Node], list[Service], list[Site]]:
    """The estate's devices and services (plain data; `Topology` is built from them)."""
    if devices < SITE_DEVICES or devices % SITE_DEVICES:
        raise SystemExit(f"--devices {devices}: use a multiple of {SITE_DEVICES}")
    rng = random.Random(seed)
    nodes: list[Node] = []
    services: list[Service] = []
    sites: list[Site] = []
    next_id = 1
    client, site_id = 0, 0

    def add(parents: tuple[int, ...], crit: int, mode: str = "all") -> int:
        nonlocal next_id
        nodes.append(Node(next_id, client, site_id, parents, mode, crit, 15.0))
        next_id += 1
        return next_id - 1

    for s in range(devices // SITE_DEVICES):
        client, site_id = s // SITES_PER_CLIENT + 1, s + 1

        router = add((), 5)
        cores = (add((router,), 4), add((router,), 4))
        access = tuple(
            add(cores, 4, "any") if i % 2 == 0 else add((cores[i % 2],), 3) for i in range(ACCESS)
        )
        leaves: list[int] = []
        cameras: list[int] = []
        room: list[int] = []
        endpoints = SITE_DEVICES - 1 - len(cores) - len(access)
        i = 0
        while i < endpoints:
            sw = access[i % ACCESS]
            if i % 23 == 0 and endpoints - i >= 4:  # a room: controller, display, audio, lights
                ctl = add((sw,), 3)
                parts = [add((ctl,), 2) for _ in range(3)]
                leaves += parts
                room = room or [ctl, *parts]
                i += 4
                continue
            dev = add((sw,), rng.choice((1, 2, 2, 3)))
            leaves.append(dev)
            if len(cameras) < 6 and i % 3 == 0:
                cameras.append(dev)
            i += 1
        key = f"s{site_id}"
        services += [
            Service(
                len(services) + 1, client, f"{key}-internet", "Internet", 5, frozenset([router])
            ),
            Service(len(services) + 2, client, f"{key}-cameras", "Cameras", 4, frozenset(cameras)),
            Service(len(services) + 3, client, f"{key}-room", "Meeting room", 3, frozenset(room)),
        ]
        sites.append(Site(router, cores, access, tuple(leaves), range(router, next_id)))
    return nodes, services, sites


@dataclass(frozen=True)
class Injection:
    failed: frozenset[int]
    roots: frozenset[int]
    members: dict[int, frozenset[int]]  # root -> the failures it cuts off


def inject(
    topo: Topology, sites: list[Site], failures: int, subtree_share: float, seed: int
) -> Injection:
    """`failures` failed devices: subtrees (sites, core and access switches) making up about
    `subtree_share` of them, the rest scattered endpoints at untouched sites."""
    rng = random.Random(seed)
    order = list(range(len(sites)))
    rng.shuffle(order)
    failed: set[int] = set()
    members: dict[int, frozenset[int]] = {}
    kinds = ("router", "core", "access", "access", "access")
    k = 0
    while order and len(failed) < failures * subtree_share:
        site = sites[order.pop()]
        kind = kinds[k % len(kinds)]
        k += 1
        top = {
            "router": site.router,
            "core": site.cores[rng.randrange(2)],
            "access": site.access[rng.randrange(ACCESS)],
        }[kind]
        local = Topology({d: topo.nodes[d] for d in site.ids})  # a site depends on itself only
        cut = local.blocked({top})
        if len(failed) + 1 + len(cut) > failures:
            continue
        failed |= {top} | cut
        members[top] = frozenset(cut)
    while order and len(failed) < failures:
        site = sites[order.pop()]
        for dev in rng.sample(site.leaves, min(8, failures - len(failed))):
            failed.add(dev)
            members[dev] = frozenset()
    if len(failed) != failures:
        raise SystemExit(f"could only place {len(failed)} of {failures} failures; add devices")
    return Injection(frozenset(failed), frozenset(members), members)


def baseline(topo: Topology) -> tuple[State, float]:
    """The correlator's state after the worker's first tick (every device reports UP)."""
    state = State()
    t0 = time.perf_counter()
    step(state, [Signal(d, DeviceStatus.UP, 0.0) for d in topo.nodes], topo, 0.0, POLICY)
    return state, (time.perf_counter() - t0) * 1000


def fresh(base: State) -> State:
    """The worker's state as the first tick left it (its indexes included)."""
    return base.copy()


def one_round(topo: Topology, base: State, inj: Injection, now: float) -> dict[str, float]:
    state = fresh(base)
    signals = [Signal(d, DeviceStatus.DOWN, now) for d in sorted(inj.failed)]
    t0 = time.perf_counter()
    first = step(state, signals, topo, now, POLICY)
    t1 = time.perf_counter()
    due = now + POLICY.hold_down_s
    second = step(state, [], topo, due, POLICY)
    t2 = time.perf_counter()
    idle = step(state, [], topo, due + 1.0, POLICY)
    t3 = time.perf_counter()
    opened = [e.incident for e in first.events + second.events if e.kind == "opened"]
    roots = {i.root for i in opened}
    wrong = [i.root for i in opened if i.members != inj.members.get(i.root)]
    if len(opened) != len(inj.roots) or roots != inj.roots or wrong:
        raise SystemExit(
            f"correlation is wrong: {len(opened)} incidents for {len(inj.roots)} injected root "
            f"causes; {len(roots - inj.roots)} unexpected roots, "
            f"{len(inj.roots - roots)} missed, {len(wrong)} with wrong members"
        )
    if idle.events:
        raise SystemExit(f"an idle tick produced {len(idle.events)} events")
    return {
        "fail_ms": (t1 - t0) * 1000,
        "open_ms": (t2 - t1) * 1000,
        "correlate_ms": (t2 - t0) * 1000,
        "idle_ms": (t3 - t2) * 1000,
        "incidents": float(len(opened)),
        "members": float(sum(len(i.members) for i in opened)),
        "reprobed": float(sum(len(r.device_ids) for r in first.reprobes)),
    }


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    nodes, services, sites = build_nodes(args.devices, args.seed)
    t1 = time.perf_counter()
    topo = Topology({n.id: n for n in nodes}, services)
    t2 = time.perf_counter()
    base, first_tick_ms = baseline(topo)
    edges = sum(len(n.parents) for n in nodes)
    injections = [
        inject(topo, sites, args.failures, args.subtree_share, args.seed + r)
        for r in range(args.rounds + 1)
    ]
    one_round(topo, base, injections[0], 1000.0)  # warm-up: first-touch costs, not measured
    rounds = []
    for r, inj in enumerate(injections[1:], 1):
        got = one_round(topo, base, inj, 1000.0 * (r + 1))
        rounds.append(got)
        print(
            f"round {r}: {got['correlate_ms']:.1f} ms ({got['fail_ms']:.1f} + "
            f"{got['open_ms']:.1f}), idle tick {got['idle_ms']:.1f} ms, "
            f"{got['incidents']:.0f} incidents",
            file=sys.stderr,
        )

    def col(key: str) -> list[float]:
        return [r[key] for r in rounds]

    corr = col("correlate_ms")
    return {
        "devices": len(nodes),
        "edges": edges,
        "services": len(services),
        "failures": args.failures,
        "rounds": len(rounds),
        "root_causes": round(statistics.median(len(i.roots) for i in injections[1:])),
        "incidents": round(statistics.median(col("incidents"))),
        "unreachable": round(statistics.median(col("members"))),
        "correct_rounds": len(rounds),  # a wrong round stops the script
        "correlate_ms": round(statistics.median(corr), 1),
        "correlate_p95_ms": round(p95(corr), 1),
        "correlate_min_ms": round(min(corr), 1),
        "fail_tick_ms": round(statistics.median(col("fail_ms")), 1),
        "open_tick_ms": round(statistics.median(col("open_ms")), 1),
        "idle_tick_ms": round(statistics.median(col("idle_ms")), 1),
        "first_tick_ms": round(first_tick_ms, 1),
        "build_nodes_ms": round((t1 - t0) * 1000, 1),
        "build_topology_ms": round((t2 - t1) * 1000, 1),
        "goal_ratio": round(statistics.median(corr) / GOAL_MS, 3),
    }


def profile(args: argparse.Namespace) -> None:
    nodes, services, sites = build_nodes(args.devices, args.seed)
    topo = Topology({n.id: n for n in nodes}, services)
    base, _ = baseline(topo)
    inj = inject(topo, sites, args.failures, args.subtree_share, args.seed)
    one_round(topo, base, inj, 1000.0)
    prof = cProfile.Profile()
    prof.enable()
    one_round(topo, base, inj, 2000.0)
    prof.disable()
    for order in ("cumulative", "tottime"):
        print(f"--- top {args.top} by {order} ---", file=sys.stderr)
        pstats.Stats(prof, stream=sys.stderr).strip_dirs().sort_stats(order).print_stats(args.top)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--devices", type=int, default=100_000, help="a multiple of 100")
    ap.add_argument("--failures", type=int, default=1000, help="failed devices per round")
    ap.add_argument(
        "--subtree-share", type=float, default=0.7, help="share of failures in whole subtrees"
    )
    ap.add_argument("--rounds", type=int, default=7, help="measured rounds (at least 3)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--profile", action="store_true", help="profile one round instead (stderr)")
    ap.add_argument("--top", type=int, default=25, help="functions shown by --profile")
    args = ap.parse_args()
    if args.rounds < 3:
        ap.error(f"--rounds {args.rounds}: need at least 3 for a median and a spread")
    if args.profile:
        profile(args)
        return
    json.dump(measure(args), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
