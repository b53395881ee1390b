"""The outbox worker end to end: store (SQLite and PostgreSQL) -> worker -> a real webhook
receiver on loopback, with a fake clock for the retry schedule."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest
from sqlalchemy import select

from sitekeeper.clock import FakeClock
from sitekeeper.db.models import Channel, OutboxItem
from sitekeeper.notify.base import Destination, Message, SendContext, TransportError
from sitekeeper.notify.channels import list_channels, remove_channel
from sitekeeper.notify.outbox import FAILED, PENDING, SENT, RetryPolicy, enqueue
from sitekeeper.notify.worker import OutboxWorker
from sitekeeper.results.store import Store
from sitekeeper.secrets import SecretBox, generate_key

from .conftest import Receiver, incident_payload

SECRET = "s3cret-signing-key"


def put(store: Store, channel_id: int, key: str, clock: FakeClock, incident_id: int = 12) -> None:
    with store.session() as session, session.begin():
        enqueue(
            session,
            client_id=1,
            channel_id=channel_id,
            kind="opened",
            idempotency_key=key,
            payload=incident_payload(incident_id=incident_id),
            now=clock.now(),
            incident_id=incident_id,
        )


def row(store: Store) -> OutboxItem:
    with store.session() as session:
        return session.scalars(select(OutboxItem).order_by(OutboxItem.id.desc())).first()  # type: ignore[return-value]


def channel(store: Store, channel_id: int) -> Channel:
    with store.session() as session:
        found = session.get(Channel, channel_id)
        assert found is not None
        return found


async def until_due(worker: OutboxWorker, store: Store, clock: FakeClock) -> int:
    """Move the clock to the row's next attempt and run one pass."""
    clock.set(max(clock.now(), row(store).next_attempt_at))
    return await worker.run_once()


async def test_it_delivers_once_and_records_it(
    notify_store: Store,
    receiver: Receiver,
    add_channel: Callable[..., int],
    make_worker: Callable[..., OutboxWorker],
    clock: FakeClock,
) -> None:
    ops = add_channel("ops", receiver.url)
    put(notify_store, ops, "incident:12:opened:channel:1", clock)
    worker = make_worker()
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    [got] = receiver.calls
    assert got.signature_ok(SECRET)
    assert got.headers["Idempotency-Key"] == "incident:12:opened:channel:1"
    assert got.json["title"].startswith("DOWN: core switch")
    done = row(notify_store)
    assert (done.state, done.attempts, done.sent_at) == (SENT, 1, clock.now())
    assert channel(notify_store, ops).last_sent_at == clock.now()


async def test_a_receiver_failing_for_a_while_gets_it_once_when_it_recovers(
    notify_store: Store,
    receiver: Receiver,
    add_channel: Callable[..., int],
    make_worker: Callable[..., OutboxWorker],
    clock: FakeClock,
) -> None:
    ops = add_channel("ops", receiver.url)
    receiver.script = [(500, {}), (503, {}), (502, {})]
    put(notify_store, ops, "k1", clock)
    worker = make_worker()
    started = clock.now()
    for _ in range(3):
        await until_due(worker, notify_store, clock)
        waiting = row(notify_store)
        assert waiting.state == PENDING and waiting.last_error and "HTTP 5" in waiting.last_error
        assert channel(notify_store, ops).last_error == waiting.last_error
    assert row(notify_store).next_attempt_at - started <= 10 + 20 + 40  # full jitter, capped
    await until_due(worker, notify_store, clock)
    assert row(notify_store).state == SENT and row(notify_store).attempts == 4
    assert len(receiver.delivered) == 1
    assert {c.headers["Idempotency-Key"] for c in receiver.calls} == {"k1"}
    assert [i.state for i in list_channels_now(notify_store)] == ["ok"]


def list_channels_now(store: Store) -> list:  # type: ignore[type-arg]
    with store.session() as session:
        return list_channels(session)


async def test_429_waits_for_retry_after(
    notify_store: Store,
    receiver: Receiver,
    add_channel: Callable[..., int],
    make_worker: Callable[..., OutboxWorker],
    clock: FakeClock,
) -> None:
    ops = add_channel("ops", receiver.url)
    receiver.script = [(429, {"Retry-After": "120"})]
    put(notify_store, ops, "k1", clock)
    worker = make_worker()
    await worker.run_once()
    assert row(notify_store).next_attempt_at == clock.now() + 120
    clock.advance(119)
    assert await worker.run_once() == 0
    clock.advance(1)
    assert await worker.run_once() == 1
    assert len(receiver.delivered) == 1


async def test_a_400_is_permanent_and_disables_the_channel(
    notify_store: Store,
    receiver: Receiver,
    add_channel: Callable[..., int],
    make_worker: Callable[..., OutboxWorker],
    clock: FakeClock,
) -> None:
    ops = add_channel("ops", receiver.url)
    receiver.script = [(400, {})]
    put(notify_store, ops, "k1", clock)
    worker = make_worker()
    await worker.run_once()
    failed = row(notify_store)
    assert failed.state == FAILED and failed.attempts == 1
    assert failed.last_error == "HTTP 400 Bad Request: nope"
    ch = channel(notify_store, ops)
    assert not ch.enabled
    assert ch.last_error == "HTTP 400 Bad Request: nope"
    assert ch.disabled_reason == "permanent error: HTTP 400 Bad Request: nope"
    [info] = list_channels_now(notify_store)
    assert info.state == "disabled"
    # Later messages for it fail at once, saying why, without calling the receiver.
    put(notify_store, ops, "k2", clock, incident_id=13)
    await worker.run_once()
    assert row(notify_store).state == FAILED
    assert row(notify_store).last_error == (
        "channel 'ops' is disabled: permanent error: HTTP 400 Bad Request: nope"
    )
    assert len(receiver.calls) == 1


async def test_messages_for_a_removed_channel_fail_and_stay_as_history(
    notify_store: Store,
    receiver: Receiver,
    add_channel: Callable[..., int],
    make_worker: Callable[..., OutboxWorker],
    clock: FakeClock,
) -> None:
    ops = add_channel("ops", receiver.url)
    put(notify_store, ops, "k1", clock)
    with notify_store.session() as session, session.begin():
        remove_channel(session, session.get(Channel, ops), clock.now())  # type: ignore[arg-type]
    await make_worker().run_once()
    gone = row(notify_store)
    assert (gone.state, gone.channel_id, gone.last_error) == (
        FAILED,
        None,
        "the channel was removed",
    )
    assert receiver.calls == []


async def test_it_gives_up_after_the_last_attempt(
    notify_store: Store,
    receiver: Receiver,
    add_channel: Callable[..., int],
    make_worker: Callable[..., OutboxWorker],
    clock: FakeClock,
) -> None:
    ops = add_channel("ops", receiver.url)
    receiver.script = [(500, {})] * 3
    put(notify_store, ops, "k1", clock)
    worker = make_worker(retry=RetryPolicy(max_attempts=3))
    for _ in range(3):
        await until_due(worker, notify_store, clock)
    assert row(notify_store).state == FAILED
    assert (
        row(notify_store).last_error
        == "gave up after 3 attempts: HTTP 500 Internal Server Error: nope"
    )
    assert channel(notify_store, ops).enabled  # a receiver that is down is not a broken channel


async def test_two_workers_send_every_row_exactly_once(
    notify_store: Store,
    receiver: Receiver,
    add_channel: Callable[..., int],
    make_worker: Callable[..., OutboxWorker],
    clock: FakeClock,
) -> None:
    ops = add_channel("ops", receiver.url)
    for n in range(40):
        put(notify_store, ops, f"k{n}", clock, incident_id=n)
    first, second = make_worker(batch=5), make_worker(batch=5)

    async def drain(worker: OutboxWorker) -> None:
        while await worker.run_once():
            pass

    await asyncio.gather(drain(first), drain(second))
    keys = [c.headers["Idempotency-Key"] for c in receiver.calls]
    assert sorted(keys) == sorted(f"k{n}" for n in range(40))


async def test_a_wrong_key_is_kept_for_retry_and_shown_on_the_channel(
    notify_store: Store,
    receiver: Receiver,
    add_channel: Callable[..., int],
    clock: FakeClock,
    http: object,
) -> None:
    ops = add_channel("ops", receiver.url)
    put(notify_store, ops, "k1", clock)
    stranger = OutboxWorker(notify_store, SecretBox(generate_key()), http=http, clock=clock)  # type: ignore[arg-type]
    await stranger.run_once()
    assert row(notify_store).state == PENDING
    assert "encrypted with another key" in (channel(notify_store, ops).last_error or "")
    assert receiver.calls == []


class Leaky:
    """A notifier that puts its whole target into its error, as careless libraries do."""

    signed = False

    def describe(self, target: str) -> str:
        return "leaky"

    async def send(self, channel: Destination, message: Message, ctx: SendContext) -> None:
        raise TransportError(f"POST {channel.target} failed (secret {channel.secret})")


async def test_no_part_of_a_target_or_secret_reaches_the_logs_or_the_store(
    notify_store: Store,
    box: SecretBox,
    clock: FakeClock,
    http: object,
    add_channel: Callable[..., int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = "T0KEN-abcdef123456"
    ops = add_channel(
        "ops", f"https://user:pa55word@hooks.example.com/hooks/{token}?key=QUERYSECRET99"
    )
    put(notify_store, ops, "k1", clock)
    worker = OutboxWorker(
        notify_store,
        box,
        http=http,
        clock=clock,  # type: ignore[arg-type]
        notifiers={"webhook": Leaky()},
    )
    await worker.run_once()
    stored = row(notify_store).last_error or ""
    assert stored == "POST … failed (secret …)"
    everything = stored + caplog.text + (channel(notify_store, ops).last_error or "")
    everything += channel(notify_store, ops).target_enc
    for secret in (token, "pa55word", "QUERYSECRET99", SECRET):
        assert secret not in everything


async def test_run_stops_when_asked_and_wakes_when_told(
    notify_store: Store,
    receiver: Receiver,
    add_channel: Callable[..., int],
    make_worker: Callable[..., OutboxWorker],
    clock: FakeClock,
) -> None:
    ops = add_channel("ops", receiver.url)
    worker = make_worker(poll_s=30.0)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.05)
    put(notify_store, ops, "k1", clock)
    worker.wake()
    for _ in range(100):
        if receiver.delivered:
            break
        await asyncio.sleep(0.02)
    assert len(receiver.delivered) == 1
    stop.set()
    await asyncio.wait_for(task, 2)
