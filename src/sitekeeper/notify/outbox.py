"""The outbox: every notification is a row before it is a message.

- `enqueue` is called in the same transaction as the change it reports (an incident opened
  or resolved), so what was committed is never lost; a repeated idempotency key adds nothing.
- A worker claims due rows with a compare-and-set (`UPDATE ... WHERE id = ? AND
  state = 'pending'`; on PostgreSQL the candidates are first locked with `FOR UPDATE SKIP
  LOCKED`), which records the attempt (`sending`, attempts + 1) before any I/O.
- Then `finish` marks it sent, schedules a retry (exponential backoff with full jitter,
  or the receiver's Retry-After), or fails it; again with a compare-and-set on
  (id, attempts), so a worker whose claim was taken over cannot overwrite the newer attempt.
- A row left in `sending` longer than `claim_timeout_s` (its worker died between the claim
  and `finish`) goes back to pending: delivery is at least once, and receivers dedupe by the
  idempotency key.

Rows of one incident to one channel go out in order: a row waits while an earlier one for the
same channel and incident is unsent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Update, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from sitekeeper.db.models import OutboxItem
from sitekeeper.notify.messages import KINDS

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_s: float = 10.0  # the first retry within 10 s, then 20, 40, ... (full jitter)
    cap_s: float = 1800.0  # never wait more than 30 min between attempts
    max_attempts: int = 20  # then the row fails (about 6 h of trying at the cap)
    claim_timeout_s: float = 300.0  # a `sending` row this old is sent again
    max_retry_after_s: float = 6 * 3600.0  # a receiver's Retry-After, bounded


def backoff(attempts: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2^(attempts-1))]. Spreads the retries of
    many rows that failed together (an outage of the receiver) instead of bunching them."""
    ceiling = min(policy.cap_s, policy.base_s * 2 ** min(max(attempts - 1, 0), 30))
    return rng.uniform(0.0, ceiling)


def retry_delay(
    attempts: int, policy: RetryPolicy, rng: random.Random, retry_after: float | None
) -> float:
    if retry_after is not None:  # the receiver said when: neither sooner nor much later
        return min(max(retry_after, 0.0), policy.max_retry_after_s)
    return backoff(attempts, policy, rng)


@dataclass(frozen=True, slots=True)
class Claim:
    """A row this worker is sending now; (id, attempts) identifies the attempt."""

    id: int
    attempts: int
    client_id: int | None
    channel_id: int | None
    incident_id: int | None
    kind: str
    idempotency_key: str
    payload: dict[str, Any]


_CLAIM_COLUMNS = (
    OutboxItem.id,
    OutboxItem.attempts,
    OutboxItem.client_id,
    OutboxItem.channel_id,
    OutboxItem.incident_id,
    OutboxItem.kind,
    OutboxItem.idempotency_key,
    OutboxItem.payload,
)


def _row(
    *,
    client_id: int | None,
    channel_id: int,
    kind: str,
    idempotency_key: str,
    payload: dict[str, Any],
    now: float,
    incident_id: int | None,
    not_before: float | None,
) -> dict[str, Any]:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}; kinds are: {', '.join(KINDS)}")
    return {
        "client_id": client_id,
        "channel_id": channel_id,
        "incident_id": incident_id,
        "kind": kind,
        "idempotency_key": idempotency_key,
        "payload": payload,
        "state": PENDING,
        "attempts": 0,
        "next_attempt_at": now if not_before is None else not_before,
        "created_at": now,
    }


def enqueue(
    session: Session,
    *,
    client_id: int | None,
    channel_id: int,
    kind: str,
    idempotency_key: str,
    payload: dict[str, Any],
    now: float,
    incident_id: int | None = None,
    not_before: float | None = None,
) -> int | None:
    """Add a notification in the caller's transaction. Returns the new row's id, or None when
    a row with this idempotency key exists already (nothing is added)."""
    values = _row(
        client_id=client_id,
        channel_id=channel_id,
        kind=kind,
        idempotency_key=idempotency_key,
        payload=payload,
        now=now,
        incident_id=incident_id,
        not_before=not_before,
    )
    dialect = session.get_bind().dialect.name
    stmt = postgresql.insert(OutboxItem) if dialect == "postgresql" else sqlite.insert(OutboxItem)
    done = stmt.values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    return session.execute(done.returning(OutboxItem.id)).scalar_one_or_none()


def enqueue_claimed(
    session: Session,
    *,
    client_id: int | None,
    channel_id: int,
    kind: str,
    idempotency_key: str,
    payload: dict[str, Any],
    now: float,
) -> Claim:
    """A row that is claimed from the start (`sitekeeper channel test` sends it at once, and
    no worker may take it meanwhile)."""
    values = _row(
        client_id=client_id,
        channel_id=channel_id,
        kind=kind,
        idempotency_key=idempotency_key,
        payload=payload,
        now=now,
        incident_id=None,
        not_before=None,
    )
    values.update(state=SENDING, attempts=1, claimed_at=now)
    row = session.execute(insert(OutboxItem).values(**values).returning(*_CLAIM_COLUMNS)).one()
    return Claim(*row)


def add_to_digest(
    session: Session,
    *,
    client_id: int | None,
    channel_id: int,
    idempotency_key: str,
    header: dict[str, Any],
    item: dict[str, Any],
    send_at: float,
    now: float,
) -> int:
    """Fold `item` into the digest row `idempotency_key` (created with `header` and sent at
    `send_at`). An item whose "key" is there already is not added twice. If that digest has
    gone out meanwhile, the item starts a digest of its own, so it is never dropped."""
    payload = {**header, "event": "digest", "items": [item]}
    new_id = enqueue(
        session,
        client_id=client_id,
        channel_id=channel_id,
        kind="digest",
        idempotency_key=idempotency_key,
        payload=payload,
        now=now,
        not_before=send_at,
    )
    if new_id is not None:
        return new_id
    row = session.execute(
        select(OutboxItem.id, OutboxItem.state, OutboxItem.payload)
        .where(OutboxItem.idempotency_key == idempotency_key)
        .with_for_update()
    ).one()
    items = list(row.payload.get("items", []))
    if any(i.get("key") == item.get("key") for i in items):
        return int(row.id)
    changed = session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == row.id, OutboxItem.state == PENDING)
        .values(payload={**row.payload, "items": [*items, item]})
    )
    if changed.rowcount == 1:  # type: ignore[attr-defined]
        return int(row.id)
    return add_to_digest(
        session,
        client_id=client_id,
        channel_id=channel_id,
        idempotency_key=f"{idempotency_key}+{item.get('key', now)}",
        header=header,
        item=item,
        send_at=now,
        now=now,
    )


def claim_due(session: Session, now: float, limit: int) -> list[Claim]:
    """Claim up to `limit` due rows for this worker; commit right after."""
    earlier = aliased(OutboxItem)
    blocked = (
        select(earlier.id)
        .where(
            earlier.channel_id == OutboxItem.channel_id,
            earlier.incident_id == OutboxItem.incident_id,
            earlier.id < OutboxItem.id,
            earlier.state.in_((PENDING, SENDING)),
        )
        .exists()
    )
    candidates = session.scalars(
        select(OutboxItem.id)
        .where(OutboxItem.state == PENDING, OutboxItem.next_attempt_at <= now, ~blocked)
        .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer anyway
    ).all()
    claims = []
    for outbox_id in candidates:
        row = session.execute(
            _cas(outbox_id, PENDING)
            .values(state=SENDING, attempts=OutboxItem.attempts + 1, claimed_at=now)
            .returning(*_CLAIM_COLUMNS)
        ).one_or_none()
        if row is not None:  # another worker took it between our select and update
            claims.append(Claim(*row))
    return claims


def _cas(outbox_id: int, state: str) -> Update:
    return update(OutboxItem).where(OutboxItem.id == outbox_id, OutboxItem.state == state)


def requeue_stale(session: Session, now: float, policy: RetryPolicy) -> int:
    """Rows whose sender vanished mid-attempt go back to pending (or fail, out of attempts)."""
    stale = (
        update(OutboxItem)
        .where(
            OutboxItem.state == SENDING,
            OutboxItem.claimed_at < now - policy.claim_timeout_s,
        )
        .execution_options(synchronize_session=False)
    )
    note = "the attempt did not finish within the claim timeout (did the sender stop?)"
    failed = session.execute(
        stale.where(OutboxItem.attempts >= policy.max_attempts).values(
            state=FAILED, last_error=note
        )
    )
    again = session.execute(
        stale.where(OutboxItem.attempts < policy.max_attempts).values(
            state=PENDING, next_attempt_at=now, last_error=note
        )
    )
    return int(failed.rowcount + again.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Outcome:
    state: str  # SENT, PENDING (retry) or FAILED
    error: str | None = None
    next_attempt_at: float | None = None
    permanent: bool = False  # the channel itself is unusable (disable it)
    quiet: bool = False  # nothing was tried (channel removed or disabled): leave it alone


def finish(session: Session, claim: Claim, outcome: Outcome, now: float) -> bool:
    """Record how the attempt ended. False when the claim was lost (the row timed out and
    another worker has it): then this worker changes nothing."""
    values: dict[str, Any] = {"state": outcome.state, "claimed_at": None}
    if outcome.state == SENT:
        values.update(sent_at=now, last_error=None)
    else:
        values["last_error"] = outcome.error
    if outcome.state == PENDING:
        values["next_attempt_at"] = outcome.next_attempt_at or now
    done = session.execute(
        _cas(claim.id, SENDING).where(OutboxItem.attempts == claim.attempts).values(**values)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]
