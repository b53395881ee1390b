"""The acceptance, as a timeline: the lab site monitored by the embedded runtime on the real
store (SQLite and PostgreSQL). Failing the core switch takes it hard DOWN within
max_attempts x retry_interval + one interval, and every device behind it UNREACHABLE: one
incident, rooted at the switch. Recovering brings them back UP and resolves it.

Intervals are shortened (2 s, retry 1 s, 3 attempts) so the test takes seconds, not minutes.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from sitekeeper.checks.specs_passive import PASSIVE_TYPES
from sitekeeper.clock import SystemClock
from sitekeeper.db import models as m
from sitekeeper.incidents.correlate import Policy
from sitekeeper.inventory.graph import descendants
from sitekeeper.lab import Lab
from sitekeeper.lab.plan import packaged_site_text
from sitekeeper.lab.setup import install as install_lab
from sitekeeper.results.queries import DeviceView, device_views
from sitekeeper.results.store import Store
from sitekeeper.runtime import EmbeddedRuntime, RuntimeOptions
from sitekeeper.secrets import SecretBox

INTERVAL, RETRY, ATTEMPTS = 2.0, 1.0, 3


def fast_site() -> str:
    text = packaged_site_text()
    for old, new in (
        ("interval: 10s", f"interval: {INTERVAL:g}s"),
        ("retry_interval: 3s", f"retry_interval: {RETRY:g}s"),
        ("max_attempts: 3", f"max_attempts: {ATTEMPTS}"),
        ("timeout: 2s", "timeout: 1s"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    return text


async def wait_until(
    store: Store, ok: Callable[[dict[str, DeviceView]], bool], limit: float
) -> tuple[float, dict[str, DeviceView]]:
    began = time.monotonic()
    while True:
        views = await asyncio.to_thread(_views, store)
        if ok(views):
            return time.monotonic() - began, views
        if time.monotonic() - began > limit:
            raise AssertionError(
                f"not reached within {limit}s: "
                + ", ".join(f"{k}={v.status}" for k, v in sorted(views.items()))
            )
        await asyncio.sleep(0.2)


def _incidents(store: Store) -> list[m.Incident]:
    with store.session() as session:
        return list(session.scalars(select(m.Incident)))


def _views(store: Store) -> dict[str, DeviceView]:
    with store.session() as session:
        return {v.key: v for v in device_views(session, client="lab")}


async def test_failing_the_core_switch_takes_down_what_is_behind_it_and_recover_brings_it_back(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SITEKEEPER_SECRET_KEY", raising=False)
    box = SecretBox.for_data_dir(tmp_path)  # the lab's SNMP credentials, as a user stores them
    network = f"127.{random.randint(80, 120)}.{random.randint(0, 250)}.0/24"
    async with Lab(control_port=None, network=network, site_text=fast_site()) as lab:
        with store.session() as session:
            install_lab(session, lab.inventory_text(), box, SystemClock().now())
            session.commit()
        graph = {d.id: list(d.depends_on) for d in lab.plan.devices}
        behind = descendants(graph, "core-switch") | {"core-switch"}
        assert len(behind) >= 20

        runtime = EmbeddedRuntime(
            store,
            RuntimeOptions(
                reload_every_s=0.5,
                correlation=Policy(hold_down_s=3, clear_s=3),
                data_dir=tmp_path,
            ),
        )
        stop = asyncio.Event()
        task = asyncio.create_task(runtime.run(stop))
        try:
            await wait_until(
                store, lambda v: all(d.status == "UP" for d in v.values()), 3 * INTERVAL + 5
            )

            await lab.fail("core-switch")
            bound = ATTEMPTS * RETRY + INTERVAL
            cut_off = behind - {"core-switch"}

            def switch_down_rest_unreachable(v: dict[str, DeviceView]) -> bool:
                return v["core-switch"].status == "DOWN" and all(
                    v[k].status == "UNREACHABLE" for k in cut_off
                )

            took, views = await wait_until(store, switch_down_rest_unreachable, bound + 4)
            assert took <= bound + 3.0, f"hard after {took:.1f}s; bound {bound}s"
            for key in behind:
                polled = [c for c in views[key].checks if c.type not in PASSIVE_TYPES]
                assert all(c.hard_status == "CRIT" for c in polled), key  # traps: none came
            assert views["router"].status == "UP"
            assert views["ups"].status == "UP"
            await wait_until(store, lambda v: len(_incidents(store)) == 1, 10)
            [incident] = await asyncio.to_thread(_incidents, store)
            assert incident.root_device_id == views["core-switch"].id
            assert {views[k].id for k in cut_off} == set(incident.members)

            await lab.recover("core-switch")
            await wait_until(
                store, lambda v: all(d.status == "UP" for d in v.values()), 2 * INTERVAL + 3
            )
            await wait_until(store, lambda v: _incidents(store)[0].resolved_at is not None, 10)
            assert len(_incidents(store)) == 1  # the children never had incidents of their own
        finally:
            stop.set()
            await task
        stats = runtime.scheduler.stats
        assert stats.missed == 0
        # everything probed was stored, and what the passive checks said (their first OK)
    assert runtime.sink.stored == stats.runs + runtime.passive.stats.observations
