"""The one call the incidents pipeline makes, in the transaction of the incident change:
one outbox row per channel, or, in a storm, one item in each channel's digest.

    dispatch(session, client_id=c, channel_ids=[1, 2], event="opened", incident_id=12,
             payload={"event": "opened", "incident": {...}}, now=now, budget=budget)

Idempotency keys are `incident:{id}:{event}:channel:{channel}` (or `key` instead of
`incident:{id}:{event}`), so replaying an event adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sitekeeper.db.models import OutboxItem
from sitekeeper.notify.outbox import add_to_digest, enqueue
from sitekeeper.notify.storm import StormBudget


def dispatch(
    session: Session,
    *,
    client_id: int,
    channel_ids: Sequence[int],
    event: str,
    payload: dict[str, Any],
    now: float,
    incident_id: int | None = None,
    key: str | None = None,
    budget: StormBudget | None = None,
) -> list[int]:
    """Returns the ids of the rows added or extended (none for a replayed event)."""
    if not channel_ids:
        return []
    base = key or f"incident:{incident_id}:{event}"
    keys = [f"{base}:channel:{channel_id}" for channel_id in channel_ids]
    replayed = session.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key.in_(keys)))
    # A replayed event was paged before: it must not use up the budget, nor join a digest.
    decision = budget.decide(client_id, now) if budget is not None and not replayed else None
    ids: list[int] = []
    for channel_id, row_key in zip(channel_ids, keys, strict=True):
        if decision is None or decision.page:
            new = enqueue(
                session,
                client_id=client_id,
                channel_id=channel_id,
                kind=event,
                idempotency_key=row_key,
                payload=payload,
                now=now,
                incident_id=incident_id,
            )
            ids += [new] if new is not None else []
            continue
        incident = payload.get("incident") or {}
        header = {
            "client": incident.get("client") if isinstance(incident, dict) else None,
            "window_start": decision.window_start,
            "window_end": decision.digest_at,
        }
        ids.append(
            add_to_digest(
                session,
                client_id=client_id,
                channel_id=channel_id,
                idempotency_key=decision.digest_key(channel_id),
                header=header,
                item={"key": base, "event": event, "incident": incident},
                send_at=decision.digest_at or now,
                now=now,
            )
        )
    return ids
