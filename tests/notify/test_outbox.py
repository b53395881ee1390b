"""The outbox on SQLite and PostgreSQL: enqueue dedupe, claims by compare-and-set, stale
claims, ordering, backoff, digests."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from sitekeeper.db.models import OutboxItem
from sitekeeper.notify.outbox import (
    FAILED,
    PENDING,
    SENDING,
    SENT,
    Outcome,
    RetryPolicy,
    add_to_digest,
    backoff,
    claim_due,
    enqueue,
    finish,
    requeue_stale,
    retry_delay,
)
from sitekeeper.results.store import Store

from .conftest import incident_payload

NOW = 1_800_000_000.0


@pytest.fixture
def channel_id(add_channel: Callable[..., int]) -> int:
    return add_channel("ops", "https://hooks.example.com/x")


def put(
    store: Store, channel_id: int, key: str, *, incident_id: int | None = 12, now: float = NOW
) -> int | None:
    with store.session() as session, session.begin():
        return enqueue(
            session,
            client_id=1,
            channel_id=channel_id,
            kind="opened",
            idempotency_key=key,
            payload=incident_payload(),
            now=now,
            incident_id=incident_id,
        )


def rows(store: Store) -> list[OutboxItem]:
    with store.session() as session:
        return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


def test_a_repeated_idempotency_key_adds_nothing(notify_store: Store, channel_id: int) -> None:
    first = put(notify_store, channel_id, "incident:12:opened:channel:1")
    again = put(notify_store, channel_id, "incident:12:opened:channel:1")
    assert first is not None and again is None
    [row] = rows(notify_store)
    assert (row.state, row.attempts, row.next_attempt_at) == (PENDING, 0, NOW)


def test_enqueue_is_part_of_the_callers_transaction(notify_store: Store, channel_id: int) -> None:
    with notify_store.session() as session:
        enqueue(
            session,
            client_id=1,
            channel_id=channel_id,
            kind="opened",
            idempotency_key="k",
            payload={},
            now=NOW,
        )
        session.rollback()  # the incident change failed: no notification either
    assert rows(notify_store) == []


def test_an_unknown_kind_is_refused(notify_store: Store, channel_id: int) -> None:
    with (
        notify_store.session() as session,
        pytest.raises(ValueError, match="unknown notification kind"),
    ):
        enqueue(
            session,
            client_id=1,
            channel_id=channel_id,
            kind="page",
            idempotency_key="k",
            payload={},
            now=NOW,
        )


def test_a_claim_records_the_attempt_before_sending(notify_store: Store, channel_id: int) -> None:
    put(notify_store, channel_id, "a")
    with notify_store.session() as session, session.begin():
        [claim] = claim_due(session, NOW, 10)
    assert claim.attempts == 1
    [row] = rows(notify_store)
    assert (row.state, row.attempts, row.claimed_at) == (SENDING, 1, NOW)


def test_rows_not_yet_due_are_not_claimed(notify_store: Store, channel_id: int) -> None:
    put(notify_store, channel_id, "later", now=NOW + 60)
    with notify_store.session() as session, session.begin():
        assert claim_due(session, NOW, 10) == []


def test_two_workers_never_claim_the_same_row(
    notify_store: Store, add_channel: Callable[..., int]
) -> None:
    channels = [add_channel(f"ch{i}", "https://hooks.example.com/x") for i in range(4)]
    for n in range(60):
        put(notify_store, channels[n % 4], f"k{n}", incident_id=n)
    claimed: list[list[int]] = [[], [], []]
    barrier = threading.Barrier(3)

    def worker(slot: int) -> None:
        barrier.wait()
        while True:
            with notify_store.session() as session, session.begin():
                got = claim_due(session, NOW, 7)
            if not got:
                return
            claimed[slot] += [c.id for c in got]

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [i for ids in claimed for i in ids]
    assert len(everything) == 60 and len(set(everything)) == 60


def test_a_row_claimed_elsewhere_is_skipped_by_compare_and_set(
    notify_store: Store, channel_id: int
) -> None:
    """SQLite has no SKIP LOCKED: two workers may pick the same candidate; only the first
    UPDATE ... WHERE state = 'pending' changes it."""
    put(notify_store, channel_id, "a")
    with notify_store.session() as first, notify_store.session() as second:
        with first.begin():
            assert len(claim_due(first, NOW, 10)) == 1
        with second.begin():
            assert claim_due(second, NOW, 10) == []


def test_a_crashed_send_is_retried_after_the_claim_timeout(
    notify_store: Store, channel_id: int
) -> None:
    policy = RetryPolicy(claim_timeout_s=300)
    put(notify_store, channel_id, "a")
    with notify_store.session() as session, session.begin():
        [lost] = claim_due(session, NOW, 10)  # ... and the process dies before finish()
    with notify_store.session() as session, session.begin():
        assert requeue_stale(session, NOW + 299, policy) == 0
        assert requeue_stale(session, NOW + 301, policy) == 1
        [again] = claim_due(session, NOW + 301, 10)
    assert again.id == lost.id and again.attempts == 2
    with notify_store.session() as session, session.begin():
        # The first worker wakes up late: its claim is gone, it changes nothing.
        assert not finish(session, lost, Outcome(SENT), NOW + 302)
        assert finish(session, again, Outcome(SENT), NOW + 302)
    [row] = rows(notify_store)
    assert (row.state, row.sent_at) == (SENT, NOW + 302)


def test_a_stale_row_out_of_attempts_fails(notify_store: Store, channel_id: int) -> None:
    policy = RetryPolicy(claim_timeout_s=10, max_attempts=1)
    put(notify_store, channel_id, "a")
    with notify_store.session() as session, session.begin():
        claim_due(session, NOW, 10)
    with notify_store.session() as session, session.begin():
        requeue_stale(session, NOW + 11, policy)
    [row] = rows(notify_store)
    assert row.state == FAILED
    assert "claim timeout" in (row.last_error or "")


def test_a_retry_is_scheduled_and_a_failure_kept(notify_store: Store, channel_id: int) -> None:
    put(notify_store, channel_id, "a")
    with notify_store.session() as session, session.begin():
        [claim] = claim_due(session, NOW, 10)
        finish(session, claim, Outcome(PENDING, "HTTP 503", NOW + 8), NOW)
    [row] = rows(notify_store)
    assert (row.state, row.next_attempt_at, row.last_error, row.claimed_at) == (
        PENDING,
        NOW + 8,
        "HTTP 503",
        None,
    )
    with notify_store.session() as session, session.begin():
        assert claim_due(session, NOW + 7, 10) == []
        [claim] = claim_due(session, NOW + 8, 10)
        finish(session, claim, Outcome(FAILED, "HTTP 400"), NOW + 8)
    assert rows(notify_store)[0].state == FAILED


def test_one_incidents_messages_to_one_channel_go_in_order(
    notify_store: Store, channel_id: int, add_channel: Callable[..., int]
) -> None:
    other = add_channel("other", "https://hooks.example.com/y")
    opened = put(notify_store, channel_id, "opened", incident_id=12)
    put(notify_store, channel_id, "resolved", incident_id=12)
    elsewhere = put(notify_store, other, "opened-other", incident_id=12)
    unrelated = put(notify_store, channel_id, "opened-13", incident_id=13)
    with notify_store.session() as session, session.begin():
        ids = [c.id for c in claim_due(session, NOW, 10)]
    # "resolved" waits until "opened" is sent (or failed) ...
    assert sorted(ids) == sorted([opened, elsewhere, unrelated])
    with notify_store.session() as session, session.begin():
        assert claim_due(session, NOW, 10) == []


def test_backoff_is_exponential_with_full_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_s=10, cap_s=1800)
    rng = random.Random(1)
    for attempts, ceiling in [(1, 10), (2, 20), (3, 40), (8, 1280), (9, 1800), (40, 1800)]:
        samples = [backoff(attempts, policy, rng) for _ in range(200)]
        assert all(0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.8  # spread over the whole range
    assert retry_delay(3, policy, rng, retry_after=120) == 120
    assert retry_delay(3, policy, rng, retry_after=10**9) == policy.max_retry_after_s


def test_a_digest_collects_items_once_each(notify_store: Store, channel_id: int) -> None:
    header = {"client": "Acme Dental", "window_start": NOW, "window_end": NOW + 600}
    with notify_store.session() as session, session.begin():
        for key in ("incident:1:opened", "incident:2:opened", "incident:1:opened"):
            add_to_digest(
                session,
                client_id=1,
                channel_id=channel_id,
                idempotency_key="digest:1:w",
                header=header,
                item={"key": key, "event": "opened", "incident": {}},
                send_at=NOW + 600,
                now=NOW,
            )
    [row] = rows(notify_store)
    assert row.kind == "digest" and row.next_attempt_at == NOW + 600
    assert [i["key"] for i in row.payload["items"]] == ["incident:1:opened", "incident:2:opened"]


def test_an_item_for_a_digest_already_sent_starts_another(
    notify_store: Store, channel_id: int
) -> None:
    header = {"client": "Acme Dental"}
    item = {"key": "incident:1:opened", "event": "opened", "incident": {}}
    with notify_store.session() as session, session.begin():
        add_to_digest(
            session,
            client_id=1,
            channel_id=channel_id,
            idempotency_key="digest:1:w",
            header=header,
            item=item,
            send_at=NOW,
            now=NOW,
        )
        claim_due(session, NOW, 10)
        add_to_digest(
            session,
            client_id=1,
            channel_id=channel_id,
            idempotency_key="digest:1:w",
            header=header,
            item={**item, "key": "incident:2:opened"},
            send_at=NOW,
            now=NOW,
        )
    assert [(r.state, len(r.payload["items"])) for r in rows(notify_store)] == [
        (SENDING, 1),
        (PENDING, 1),
    ]
