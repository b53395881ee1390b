"""The incidents acceptance, end to end on the lab: `lab fail core-switch` gives one
incident naming the switch and the impacted services, exactly one webhook call and one
e-mail; a webhook receiver answering 500 for a while still gets it, once, when it recovers;
recovery sends one recovery each. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.smtp import SMTP
from sqlalchemy import select

from sitekeeper.clock import SystemClock
from sitekeeper.db import models as m
from sitekeeper.incidents.correlate import Policy
from sitekeeper.lab import Lab
from sitekeeper.lab.setup import install as install_lab
from sitekeeper.notify import NOTIFIERS
from sitekeeper.notify.channels import create_channel
from sitekeeper.notify.outbox import RetryPolicy
from sitekeeper.notify.worker import WorkerOptions
from sitekeeper.results.store import Store
from sitekeeper.runtime import EmbeddedRuntime, RuntimeOptions
from sitekeeper.secrets import SecretBox
from tests.notify.conftest import Receiver, SmtpSink
from tests.test_acceptance import fast_site


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rx = Receiver(script=[(500, {}), (500, {})])  # the receiver is down at first
    app = web.Application()
    app.router.add_post("/hooks/{token}", rx.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    rx.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hooks/tok-lab-acceptance"
    yield rx
    await runner.cleanup()


@pytest.fixture
async def smtp_sink() -> AsyncIterator[SmtpSink]:
    sink = SmtpSink()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(sink, authenticator=sink.authenticate, auth_require_tls=False), "127.0.0.1", 0
    )
    sink.port = server.sockets[0].getsockname()[1]
    yield sink
    server.close()
    await server.wait_closed()


async def until(check: Callable[[], Any], limit: float, what: str) -> Any:
    began = time.monotonic()
    while True:
        value = await asyncio.to_thread(check)
        if value:
            return value
        if time.monotonic() - began > limit:
            raise AssertionError(f"{what}: not within {limit}s")
        await asyncio.sleep(0.25)


async def test_one_root_cause_one_incident_one_webhook_one_email(
    store: Store,
    tmp_path: Path,
    receiver: Receiver,
    smtp_sink: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SITEKEEPER_SECRET_KEY", raising=False)
    box = SecretBox.for_data_dir(tmp_path)
    network = f"127.{random.randint(80, 120)}.{random.randint(0, 250)}.0/24"
    async with Lab(control_port=None, network=network, site_text=fast_site()) as lab:
        now = SystemClock().now()
        with store.session() as session:
            install_lab(session, lab.inventory_text(), box, now)
            for kind, name, target in (
                ("webhook", "ops-hook", receiver.url),
                (
                    "apprise",
                    "ops-mail",
                    f"mailto://ops:mail-pw-123@127.0.0.1:{smtp_sink.port}?to=oncall@example.com&from=sitekeeper@example.com&mode=insecure",
                ),
            ):
                create_channel(
                    session,
                    box,
                    dict(NOTIFIERS),
                    client_key="lab",
                    name=name,
                    kind=kind,
                    target=target,
                    secret=None if kind == "apprise" else "s3cret-sig",
                    now=now,
                )
            session.commit()
        options = RuntimeOptions(
            reload_every_s=0.5,
            correlation=Policy(hold_down_s=3, clear_s=3),
            data_dir=tmp_path,
            outbox=WorkerOptions(poll_s=0.2, retry=RetryPolicy(base_s=0.5, cap_s=1.0)),
        )
        runtime = EmbeddedRuntime(store, options)
        stop = asyncio.Event()
        task = asyncio.create_task(runtime.run(stop))
        try:

            def all_up() -> bool:
                with store.session() as s:
                    return (
                        s.scalar(select(m.DeviceState).where(m.DeviceState.status != "UP")) is None
                        and len(s.scalars(select(m.DeviceState)).all()) == 26
                    )

            await until(all_up, 30, "lab up")
            failed_at = time.monotonic()
            await lab.fail("core-switch")

            def incidents() -> list[m.Incident]:
                with store.session() as s:
                    return list(s.scalars(select(m.Incident)))

            [incident] = await until(incidents, 30, "an incident")
            opened_after = time.monotonic() - failed_at
            with store.session() as s:
                root = s.get(m.Device, incident.root_device_id)
                assert root is not None and root.key == "core-switch"
            assert "cameras" in incident.services and "wifi" in incident.services
            assert len(incident.members) == 23

            await until(lambda: receiver.delivered, 30, "the webhook after its 500s")
            await until(lambda: smtp_sink.messages, 30, "the e-mail")
            await asyncio.sleep(2)  # nothing else arrives for the children
            assert [r.json["event"] for r in receiver.delivered] == ["opened"]
            assert len(receiver.calls) == 3  # two 500s, then delivered: no duplicates
            assert {r.headers["Idempotency-Key"] for r in receiver.calls} == {
                receiver.calls[0].headers["Idempotency-Key"]
            }
            assert receiver.delivered[0].signature_ok("s3cret-sig")
            body = receiver.delivered[0].json["incident"]
            assert body["root"]["key"] == "core-switch" and len(body["unreachable"]) == 23
            assert len(smtp_sink.messages) == 1
            assert b"core" in smtp_sink.messages[0].content.lower()

            await lab.recover("core-switch")
            await until(lambda: len(receiver.delivered) == 2, 40, "the recovery webhook")
            await until(lambda: len(smtp_sink.messages) == 2, 20, "the recovery e-mail")
            assert receiver.delivered[1].json["event"] == "resolved"
            await asyncio.sleep(2)
            assert len(incidents()) == 1
            assert len(receiver.delivered) == 2 and len(smtp_sink.messages) == 2
        finally:
            stop.set()
            await task
    print(f"\nincident opened {opened_after:.1f}s after the fault")
