"""dispatch: what the incidents pipeline calls in its transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from sitekeeper.db.models import OutboxItem
from sitekeeper.notify.dispatch import dispatch
from sitekeeper.notify.storm import StormBudget, StormPolicy
from sitekeeper.results.store import Store

from .conftest import incident_payload

NOW = 1_800_000_000.0


def send(
    store: Store,
    channels: list[int],
    event: str,
    incident_id: int,
    budget: StormBudget | None,
    now: float = NOW,
) -> list[int]:
    with store.session() as session, session.begin():
        return dispatch(
            session,
            client_id=1,
            channel_ids=channels,
            event=event,
            payload=incident_payload(event, incident_id),
            now=now,
            incident_id=incident_id,
            budget=budget,
        )


def rows(store: Store) -> list[OutboxItem]:
    with store.session() as session:
        return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


def test_one_row_per_channel_and_a_replay_adds_nothing(
    notify_store: Store, add_channel: Callable[..., int]
) -> None:
    a, b = add_channel("a", "https://h.example/1"), add_channel("b", "https://h.example/2")
    assert len(send(notify_store, [a, b], "opened", 12, None)) == 2
    assert send(notify_store, [a, b], "opened", 12, None) == []
    assert [r.idempotency_key for r in rows(notify_store)] == [
        f"incident:12:opened:channel:{a}",
        f"incident:12:opened:channel:{b}",
    ]


def test_in_a_storm_incidents_fold_into_a_digest_per_channel(
    notify_store: Store, add_channel: Callable[..., int]
) -> None:
    a, b = add_channel("a", "https://h.example/1"), add_channel("b", "https://h.example/2")
    budget = StormBudget(StormPolicy(max_pages=2, window_s=600))
    for incident_id in range(1, 7):
        send(notify_store, [a, b], "opened", incident_id, budget, now=NOW + incident_id)
    pages = [r for r in rows(notify_store) if r.kind == "opened"]
    digests = [r for r in rows(notify_store) if r.kind == "digest"]
    assert len(pages) == 4  # 2 incidents x 2 channels
    assert len(digests) == 2  # one per channel
    for digest in digests:
        assert [i["key"] for i in digest.payload["items"]] == [
            f"incident:{n}:opened" for n in range(3, 7)
        ]
        assert digest.next_attempt_at == NOW + 3 + 600
        assert digest.payload["client"] == "Harbour View Dental"


def test_a_replayed_page_does_not_use_up_the_budget(
    notify_store: Store, add_channel: Callable[..., int]
) -> None:
    a = add_channel("a", "https://h.example/1")
    budget = StormBudget(StormPolicy(max_pages=1, window_s=600))
    send(notify_store, [a], "opened", 1, budget)
    send(notify_store, [a], "opened", 1, budget)  # replayed after a restart
    assert [r.kind for r in rows(notify_store)] == ["opened"]
