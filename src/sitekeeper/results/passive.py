"""Storage for passive inputs: heartbeat tokens and pings, and each device's latest syslog
messages and traps. SQLite and PostgreSQL alike.

    ensure_tokens(session, now)            a token for every heartbeat check that lacks one
    SqlHeartbeatStore(engine)              the HeartbeatStore behind /hb/{token}
    heartbeat_rows(session)                active heartbeat checks with token and last ping
    store_events(session, events, keep)    add events; keep the newest `keep` per device
    recent_events(session, device_id)      newest first, for the device page
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from sitekeeper.checks.build import SPEC_ADAPTER
from sitekeeper.checks.specs_passive import HeartbeatCheck
from sitekeeper.collector.heartbeats import Heartbeat, Ping, PingKind, new_token
from sitekeeper.db import models as m

RECENT_EVENTS = 50  # per device: what the device page shows


def ensure_tokens(session: Session, now: float) -> int:
    """Give every heartbeat check without a token a new random one; return how many.
    Tokens are kept while the check row exists, so re-applying an inventory keeps them."""
    stmt = (
        select(m.Check.id, m.Check.client_id)
        .outerjoin(m.HeartbeatToken, m.HeartbeatToken.check_id == m.Check.id)
        .where(m.Check.type == "heartbeat", m.HeartbeatToken.check_id.is_(None))
    )
    missing = list(session.execute(stmt))
    for check_id, client_id in missing:
        session.add(
            m.HeartbeatToken(
                check_id=check_id, client_id=client_id, token=new_token(), created_at=now
            )
        )
    if missing:
        session.flush()
    return len(missing)


@dataclass(frozen=True, slots=True)
class HeartbeatRow:
    check_id: int
    client_id: int
    device_id: int
    client: str
    device: str
    check: str
    token: str
    created_at: float
    spec: HeartbeatCheck
    last_ping: Ping | None
    pings: int

    @property
    def heartbeat(self) -> Heartbeat:
        return self.spec.heartbeat(self.token)

    @property
    def path(self) -> str:
        return f"/hb/{self.token}"


def _ping(row: m.HeartbeatToken) -> Ping | None:
    if row.last_ping_at is None:
        return None
    return Ping(
        at=row.last_ping_at,
        kind=PingKind(row.last_ping_kind or PingKind.SUCCESS),
        body=row.last_ping_body or "",
        source=row.last_ping_source or "",
    )


def heartbeat_rows(
    session: Session, client_ids: Iterable[int] | None = None, token: str | None = None
) -> list[HeartbeatRow]:
    """Active heartbeat checks (of these clients, or with this token), by client/device."""
    stmt = (
        select(m.HeartbeatToken, m.Check, m.Device.key, m.Client.key)
        .join(m.Check, m.Check.id == m.HeartbeatToken.check_id)
        .join(m.Device, m.Device.id == m.Check.device_id)
        .join(m.Client, m.Client.id == m.Check.client_id)
        .where(
            m.Check.type == "heartbeat",
            m.Check.retired_at.is_(None),
            m.Device.retired_at.is_(None),
        )
        .order_by(m.Client.key, m.Device.key, m.Check.name)
    )
    if client_ids is not None:
        stmt = stmt.where(m.Check.client_id.in_(list(client_ids)))
    if token is not None:
        stmt = stmt.where(m.HeartbeatToken.token == token)
    rows: list[HeartbeatRow] = []
    for hb, check, device_key, client_key in session.execute(stmt):
        spec = SPEC_ADAPTER.validate_python(check.spec)
        if not isinstance(spec, HeartbeatCheck):
            continue
        rows.append(
            HeartbeatRow(
                check_id=check.id,
                client_id=check.client_id,
                device_id=check.device_id,
                client=client_key,
                device=device_key,
                check=check.name,
                token=hb.token,
                created_at=hb.created_at,
                spec=spec,
                last_ping=_ping(hb),
                pings=hb.pings,
            )
        )
    return rows


class SqlHeartbeatStore:
    """The HeartbeatStore of the server: a token counts only while its check is active."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def heartbeat(self, token: str) -> Heartbeat | None:
        with Session(self._engine) as session:
            found = heartbeat_rows(session, token=token)
        return found[0].heartbeat if found else None

    def record(self, token: str, ping: Ping) -> None:
        with Session(self._engine) as session, session.begin():
            session.execute(
                update(m.HeartbeatToken)
                .where(m.HeartbeatToken.token == token)
                .values(
                    pings=m.HeartbeatToken.pings + 1,
                    last_ping_at=ping.at,
                    last_ping_kind=ping.kind.value,
                    last_ping_source=ping.source[:64],
                    last_ping_body=ping.body,
                )
            )

    def last_ping(self, token: str) -> Ping | None:
        with Session(self._engine) as session:
            row = session.scalar(select(m.HeartbeatToken).where(m.HeartbeatToken.token == token))
            return _ping(row) if row is not None else None


def ping_paths(session: Session, check_ids: Iterable[int]) -> dict[int, str]:
    """`/hb/<token>` of these checks (those that are heartbeats)."""
    ids = list(check_ids)
    if not ids:
        return {}
    stmt = select(m.HeartbeatToken.check_id, m.HeartbeatToken.token).where(
        m.HeartbeatToken.check_id.in_(ids)
    )
    return {check_id: f"/hb/{token}" for check_id, token in session.execute(stmt)}


# --- recent syslog messages and traps -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    client_id: int
    device_id: int
    at: float
    kind: str  # syslog, trap
    source: str
    text: str
    severity: int | None = None
    name: str | None = None


def store_events(session: Session, events: Sequence[Event], keep: int = RECENT_EVENTS) -> None:
    """Add events and prune each touched device to its newest `keep`."""
    if not events:
        return
    session.add_all(
        m.PassiveEvent(
            client_id=e.client_id,
            device_id=e.device_id,
            at=e.at,
            kind=e.kind,
            source=e.source[:64],
            severity=e.severity,
            name=(e.name or None) and e.name[:128],
            text=e.text[:2000],
        )
        for e in events
    )
    session.flush()
    for device_id in sorted({e.device_id for e in events}):
        cutoff = session.scalar(
            select(m.PassiveEvent.id)
            .where(m.PassiveEvent.device_id == device_id)
            .order_by(m.PassiveEvent.id.desc())
            .offset(keep)
            .limit(1)
        )
        if cutoff is not None:
            session.execute(
                delete(m.PassiveEvent).where(
                    m.PassiveEvent.device_id == device_id, m.PassiveEvent.id <= cutoff
                )
            )


def recent_events(
    session: Session, device_id: int, limit: int = RECENT_EVENTS
) -> list[m.PassiveEvent]:
    stmt = (
        select(m.PassiveEvent)
        .where(m.PassiveEvent.device_id == device_id)
        .order_by(m.PassiveEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
