"""Golden outputs of `simulate()` and `simulate_wearout()` for fixed seeds.

The digests were recorded from the reference implementation. Any change to how wear-out is
computed must leave every per-trial array bit-identical: the same seed has to give the same
numbers (spec: reproducibility), so a faster path may skip work but never change a result.

The bits depend on numpy's random streams and the platform's libm as well, so the digests hold
for the numpy this project installs (2.x on x86-64 Linux), with floats compared at float32
precision so CPU-specific SIMD paths do not matter; after upgrading numpy, re-record them from
the unchanged code before changing any of the model.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from sitekeeper.plan import (
    DEFAULT_PROFILES,
    ClientParams,
    Device,
    Edge,
    Estate,
    ModelParams,
    simulate,
)
from sitekeeper.plan.devices import columns
from sitekeeper.plan.ledger import ModelCosts
from sitekeeper.plan.restore import managed_policy
from sitekeeper.plan.wearout import Failures, WearOut, simulate_wearout
from tests.plan.estates import home, office, quiet_params

TRIALS = 2300  # more than one 2,000-trial chunk


def campus(seats: int = 90, seed: int = 5) -> Estate:
    """A mid-size estate of every class, ages spread across and past the planned ages."""
    rng = np.random.default_rng(seed)
    devs: list[Device] = []
    edges: list[Edge] = []

    def add(dev_id: str, cls: str, cost: float, w: float = 0.0) -> str:
        devs.append(Device(dev_id, cls, round(float(rng.uniform(0.0, 10.0)), 2), w, cost))
        return dev_id

    core = add("core", "switch", 5000.0)
    for r in ("r1", "r2"):
        edges.append(Edge(add(r, "router", 700.0), core, redundant=True))
    ups = add("ups", "ups", 2000.0)
    edges.append(Edge(ups, core))
    servers = [add(f"srv{i}", "server", 8000.0, 0.03) for i in range(3)]
    edges += [Edge(core, s) for s in servers] + [Edge(ups, s) for s in servers]
    for cls in ("nas", "nvr"):
        edges.append(Edge(core, add(cls, cls, 2000.0)))
    access = [add(f"sw{i}", "switch", 1200.0) for i in range(4)]
    edges += [Edge(core, sw) for sw in access]
    for i in range(4):
        ctl = add(f"room{i}", "av_control", 2000.0, 0.01)
        edges.append(Edge(access[i], ctl))
        for cls in ("display", "audio", "lighting", "projector"):
            edges.append(Edge(ctl, add(f"room{i}-{cls}", cls, 1200.0)))
    for i in range(8):
        edges.append(Edge(access[i % 4], add(f"ap{i}", "ap", 300.0)))
    for i in range(20):
        edges.append(Edge(access[i % 4], add(f"cam{i}", "camera", 250.0, 0.001)))
    for i in range(seats):
        ws = add(f"ws{i}", "workstation", 1100.0, round(0.5 / seats, 6))
        edges += [Edge(access[i % 4], ws), Edge(servers[i % 3], ws)]
    return Estate(tuple(devs), tuple(edges), DEFAULT_PROFILES)


def _digest(*arrays: np.ndarray) -> str:
    """Floats are hashed at float32 precision: numpy's SIMD math (AVX2 or AVX-512 builds of
    exp, log, pow) may differ in the last bit of a float64 between CPUs, and a golden test
    is about the model's arithmetic, not the CPU's."""
    h = hashlib.sha256()
    for a in arrays:
        if a.dtype.kind == "f":
            a = a.astype(np.float32)
        h.update(str(a.dtype).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:24]


def _costs(costs: ModelCosts) -> np.ndarray:
    """Every per-trial array; downtime hours to float32 precision, as impacts.py sums each
    device's dependents over a set, whose order (and so the last bit) follows PYTHONHASHSEED."""
    fields = [getattr(costs, f).astype(np.float64) for f in ModelCosts.__dataclass_fields__]
    fields[list(ModelCosts.__dataclass_fields__).index("downtime_hours")] = (
        costs.downtime_hours.astype(np.float32).astype(np.float64)
    )
    return np.stack(fields)


def _failures(f: Failures) -> list[np.ndarray]:
    return [f.trial, f.device, f.t0] + [
        getattr(f.randoms, k) for k in f.randoms.__dataclass_fields__
    ]


def _wear_digest(w: WearOut) -> str:
    return _digest(*_failures(w.bf), *_failures(w.ms), w.bf_hardware, w.ms_hardware, w.ms_planned_h)


ESTATES = {"home": home, "office": office, "campus": campus}
PARAMS = {"default": ModelParams, "quiet": quiet_params}

SIMULATE_GOLDEN: dict[tuple[str, str, int], tuple[str, str]] = {
    ("home", "default", 11): ("1fe37dcbce7554eb1d7e3814", "3feb686377fcd258faa2f6c1"),
    ("home", "default", 2026): ("742fe0830e366e2ff9488ce0", "48fbd67528ba1d2408696302"),
    ("home", "default", 90210): ("af15c8b911bd3ed1216137fb", "9cefa887a7cd69398d065938"),
    ("home", "quiet", 11): ("0052b002dfa41cb07405f146", "12e0d85c71fd997faf035d54"),
    ("home", "quiet", 2026): ("e9d17f127499ed19fdfbbd8f", "83aeefd986295745f0dd7c27"),
    ("home", "quiet", 90210): ("4787ec1d473cb0c6bf9d8f8f", "0a0f4006ad59495a78cee8ce"),
    ("office", "default", 11): ("8b4dbaf49436d97bec074e6e", "48a93ea4b18095e99fff7c4b"),
    ("office", "default", 2026): ("11572bdb78060b173a269d5c", "118684acccf340b488cba0d8"),
    ("office", "default", 90210): ("f646d6873771572ce9df521f", "287ceb416141f2210d1cd2ef"),
    ("office", "quiet", 11): ("a4ff83e3f45dd5ee017f1376", "8b76893eed882b7f15771868"),
    ("office", "quiet", 2026): ("11c9d03b3edeeb069d15b531", "171a663e6a35e898f5c50421"),
    ("office", "quiet", 90210): ("78ccc94fc05cee398601470c", "5be7415f47bd07185dc2d82f"),
    ("campus", "default", 11): ("1eb11d4795b945f95e2519c6", "93e58eda665912f08e022d02"),
    ("campus", "default", 2026): ("9609751a1f803b1e5485aa2a", "986673b292c77afd3ef6a1d4"),
    ("campus", "default", 90210): ("6cc1d7d29b21d8cbd1e27158", "11faa184946f4b387e136b91"),
    ("campus", "quiet", 11): ("880a853d49e756989176f761", "ee768250508f5ed0aa99a26a"),
    ("campus", "quiet", 2026): ("e1aec5877af0109763709164", "b3caa550d67bd82a11b96d97"),
    ("campus", "quiet", 90210): ("eea171cde23b01cfa26ad791", "7a38a43033ee0e86340fb14c"),
}
WEAROUT_GOLDEN: dict[tuple[str, int, int], str] = {
    ("home", 0, 3): "62ca58add99289753df225b4",
    ("home", 0, 77): "1ded4b107f4e751499a41723",
    ("home", 1, 3): "d2ce10d30205247cb9fc6d37",
    ("home", 1, 77): "f73b9599b2dfbec3c5a3d742",
    ("home", 3, 3): "d2ce10d30205247cb9fc6d37",
    ("home", 3, 77): "f73b9599b2dfbec3c5a3d742",
    ("home", 6, 3): "d2ce10d30205247cb9fc6d37",
    ("home", 6, 77): "f73b9599b2dfbec3c5a3d742",
    ("office", 0, 3): "da907bf10f5809217c544584",
    ("office", 0, 77): "0b98dfb675af5f88e4054c1c",
    ("office", 1, 3): "c30e9a9bf6ca04a9d9b13864",
    ("office", 1, 77): "6d92666b091160ab5a73e3f4",
    ("office", 3, 3): "c30e9a9bf6ca04a9d9b13864",
    ("office", 3, 77): "babf6f889df75e8b93497b71",
    ("office", 6, 3): "c30e9a9bf6ca04a9d9b13864",
    ("office", 6, 77): "babf6f889df75e8b93497b71",
    ("campus", 0, 3): "204eb2c7095349336ceebd3b",
    ("campus", 0, 77): "bf69e130cf8c6e9168e1e52f",
    ("campus", 1, 3): "64290c8e6355744458330742",
    ("campus", 1, 77): "b6dfb9fac014ef8394b2b7df",
    ("campus", 3, 3): "83fe630a8df1ddde456d2b68",
    ("campus", 3, 77): "d51c9bc84171cc3fa70352d7",
    ("campus", 6, 3): "83fe630a8df1ddde456d2b68",
    ("campus", 6, 77): "d51c9bc84171cc3fa70352d7",
}


@pytest.mark.parametrize(("estate", "params", "seed"), sorted(SIMULATE_GOLDEN))
def test_simulate_gives_the_recorded_results(estate: str, params: str, seed: int) -> None:
    sim = simulate(ESTATES[estate](), ClientParams(5000.0), PARAMS[params](), TRIALS, seed)
    assert (_digest(_costs(sim.bf)), _digest(_costs(sim.ms))) == SIMULATE_GOLDEN[
        (estate, params, seed)
    ]


@pytest.mark.parametrize(("estate", "renewals", "seed"), sorted(WEAROUT_GOLDEN))
def test_wearout_gives_the_recorded_events(estate: str, renewals: int, seed: int) -> None:
    cols = columns(ESTATES[estate]())
    wear = simulate_wearout(cols, 1500, np.random.default_rng(seed), managed_policy(), renewals)
    assert _wear_digest(wear) == WEAROUT_GOLDEN[(estate, renewals, seed)]
