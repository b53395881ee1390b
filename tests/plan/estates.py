"""Small estates the advisor tests share (spec section 6 scenarios and their building blocks)."""

from __future__ import annotations

from dataclasses import replace

from sitekeeper.plan import (
    DEFAULT_PROFILES,
    ClassProfile,
    Device,
    Edge,
    Estate,
    Fixed,
    ModelParams,
    Power,
    Priors,
    Security,
)


def quiet_params(**priors: object) -> ModelParams:
    """No power cuts, no security incidents, no frailty: only the device processes remain."""
    base = Priors(frailty=Fixed(1.0), e_soft=Fixed(0.35), p_major=Fixed(0.0))
    return ModelParams(
        priors=replace(base, **priors),
        power=Power(cuts_per_year=0.0),
        security=Security(minor_rate=0.0),
    )


def soft_only(rate: float, n: int, w: float) -> Estate:
    """n unconnected devices with constant-rate soft incidents and no wear-out."""
    prof = ClassProfile(1.0, float("inf"), rate, 1.5, 20.0)
    devices = tuple(Device(f"d{i}", "box", 2.0, w, 500.0) for i in range(n))
    return Estate(devices, (), {"box": prof})


def office() -> Estate:
    """The 40-device office: server behind 16 seats, shared UPS and core switch, dual routers."""
    devs = [
        Device("router1", "router", 3.0, 0.0, 600.0),
        Device("router2", "router", 3.0, 0.0, 600.0),
        Device("core", "switch", 4.0, 0.0, 2500.0),
        Device("ups", "ups", 3.0, 0.0, 1500.0, battery_age_y=3.0),
        Device("server", "server", 5.0, 0.02, 8000.0),
        Device("nas", "nas", 4.0, 0.0, 2000.0),
        Device("nvr", "nvr", 4.0, 0.0, 1500.0),
        Device("ap1", "ap", 3.0, 0.0, 300.0),
        Device("ap2", "ap", 3.0, 0.0, 300.0),
        Device("room", "av_control", 3.0, 0.02, 2500.0),
        Device("display", "display", 3.0, 0.0, 1500.0),
    ]
    edges = [
        Edge("router1", "core", redundant=True),
        Edge("router2", "core", redundant=True),
        Edge("ups", "core"),
        Edge("ups", "server"),
        Edge("ups", "nas"),
        Edge("core", "server"),
        Edge("core", "nas"),
        Edge("core", "nvr"),
        Edge("core", "ap1"),
        Edge("core", "ap2"),
        Edge("core", "room"),
        Edge("room", "display"),
    ]
    for i in range(16):
        devs.append(Device(f"ws{i}", "workstation", 3.0, 0.05, 1200.0))
        edges += [Edge("core", f"ws{i}"), Edge("server", f"ws{i}")]
    for i in range(13):
        devs.append(Device(f"cam{i}", "camera", 3.0, 0.001, 250.0))
        edges.append(Edge("core", f"cam{i}"))
    return Estate(tuple(devs), tuple(edges), DEFAULT_PROFILES)


def home() -> Estate:
    """A home of 10 young devices: router, switch, APs, cameras, TV and control."""
    devs = [
        Device("router", "router", 1.0, 0.2, 300.0),
        Device("switch", "switch", 1.0, 0.0, 200.0),
        Device("ap1", "ap", 1.0, 0.1, 200.0),
        Device("ap2", "ap", 1.0, 0.1, 200.0),
        Device("cam1", "camera", 1.0, 0.02, 200.0),
        Device("cam2", "camera", 1.0, 0.02, 200.0),
        Device("nvr", "nvr", 1.0, 0.02, 400.0),
        Device("tv", "display", 1.0, 0.1, 1500.0),
        Device("control", "av_control", 1.0, 0.1, 1200.0),
        Device("audio", "audio", 1.0, 0.1, 800.0),
    ]
    edges = [Edge("router", "switch")] + [
        Edge("switch", d) for d in ("ap1", "ap2", "nvr", "control", "cam1", "cam2")
    ]
    return Estate(tuple(devs), tuple(edges), DEFAULT_PROFILES)
