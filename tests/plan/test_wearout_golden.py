"""Golden outputs of `simulate()` and `simulate_wearout()` for fixed seeds.

The digests were recorded from the reference implementation. Any change to how wear-out is
computed must leave every per-trial array bit-identical: the same seed has to give the same
numbers (spec: reproducibility), so a faster path may skip work but never change a result.

The bits depend on numpy's random streams and the platform's libm as well, so the digests hold
for the numpy this project installs (2.x on x86-64 Linux); after upgrading numpy, re-record
them from the unchanged code before changing any of the model.
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
    h = hashlib.sha256()
    for a in arrays:
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
    ("home", "default", 11): ("bc2db87b488b0eb092f75f3c", "de47dfb351d0c32069ce383b"),
    ("home", "default", 2026): ("bb66b68f4314c17632fa58d9", "815b4ed3ca6e8a94493c7b9c"),
    ("home", "default", 90210): ("491aa014f4abdf19c91b1b59", "797f710faf51869c2d433888"),
    ("home", "quiet", 11): ("141d377f840b4e2a5cb4542b", "fc7012fd7b6418e079c2b431"),
    ("home", "quiet", 2026): ("b9a46f6fcf469bd032b28537", "ae5fda5eb0ee24675fd63f98"),
    ("home", "quiet", 90210): ("a62d8b589b7beabe7be16f7b", "0165ef577383556abf592c9e"),
    ("office", "default", 11): ("1a4ce6c71d25e895f2e4df3a", "d1b14a76bc0c5134eb3ee78e"),
    ("office", "default", 2026): ("75aec38895532b391493c9a7", "00436f415f665d30508a23b0"),
    ("office", "default", 90210): ("a4291da4ccfd371670883449", "a2a6e75d7ca55a552bb675bf"),
    ("office", "quiet", 11): ("d76450ab07577138403c5c35", "0f41e0aa46812fd657d8cc8c"),
    ("office", "quiet", 2026): ("ea895a1499c5ae0e358c6365", "b806ec46425acbca86c52e7e"),
    ("office", "quiet", 90210): ("9f3b789483e7135ba1f092af", "ef150bafed81544842b08e5e"),
    ("campus", "default", 11): ("504bf057042fe6e7afa90f18", "c2cc8f7af78cec1488b634a5"),
    ("campus", "default", 2026): ("6184d9517c8e696931b7b829", "cdecd6faad38484131e5a620"),
    ("campus", "default", 90210): ("63b57b74a42767069bc1b7fd", "b4d25ac738ca8dbcbeabc6ba"),
    ("campus", "quiet", 11): ("f9d9e3abd98314888d9f2510", "84ef852fd41f1d604fa4c8d3"),
    ("campus", "quiet", 2026): ("086c706cf95d42c7285c52f4", "d3446d0b39e42242cd57866b"),
    ("campus", "quiet", 90210): ("ef8efa84c770b163fdfa1157", "53046ed27bfded7745c18d4e"),
}
WEAROUT_GOLDEN: dict[tuple[str, int, int], str] = {
    ("home", 0, 3): "19fe7de9f1e0ebd9d9e245b5",
    ("home", 0, 77): "33e58ec220f6bde2eb6e34ce",
    ("home", 1, 3): "b11d21dbef6fcf54fcffc1eb",
    ("home", 1, 77): "ca4173adc66e674cded9fda3",
    ("home", 3, 3): "b11d21dbef6fcf54fcffc1eb",
    ("home", 3, 77): "ca4173adc66e674cded9fda3",
    ("home", 6, 3): "b11d21dbef6fcf54fcffc1eb",
    ("home", 6, 77): "ca4173adc66e674cded9fda3",
    ("office", 0, 3): "9cb8d503cb399f54657d9125",
    ("office", 0, 77): "2ec9b4d4bc9b0b96551c5113",
    ("office", 1, 3): "0f372b466eb5dbd50632b9bc",
    ("office", 1, 77): "453b81f03b6bf0872f604545",
    ("office", 3, 3): "0f372b466eb5dbd50632b9bc",
    ("office", 3, 77): "9a3dc951159a84cd46a0e073",
    ("office", 6, 3): "0f372b466eb5dbd50632b9bc",
    ("office", 6, 77): "9a3dc951159a84cd46a0e073",
    ("campus", 0, 3): "22d80343dc020c0ecc341eed",
    ("campus", 0, 77): "3b961e61ff927800896a76a0",
    ("campus", 1, 3): "d8c2b17d3048862f61f042a4",
    ("campus", 1, 77): "51949ef9a68c6f6bf7a4353e",
    ("campus", 3, 3): "4722ae1cdc833d13bd0bec39",
    ("campus", 3, 77): "b56a949f9dd43c8c8abbfc7a",
    ("campus", 6, 3): "4722ae1cdc833d13bd0bec39",
    ("campus", 6, 77): "b56a949f9dd43c8c8abbfc7a",
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
