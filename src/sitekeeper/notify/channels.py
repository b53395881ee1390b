"""Channels: create, find, list, enable, remove; and what the worker records on them.

A channel belongs to a client, or to the whole MSP (client_id NULL). Its target (the apprise
or webhook URL) and signing secret are encrypted at rest; lists show `target_hint`, a
redacted form computed when the channel is added, so listing never decrypts anything.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sitekeeper.db.models import Audit, Channel, Client
from sitekeeper.errors import Ambiguous, NotFound, SitekeeperError
from sitekeeper.notify.base import Destination, Notifier
from sitekeeper.notify.outbox import SENT, Outcome
from sitekeeper.secrets import SecretBox

NAME_MAX = 100


class InvalidChannel(SitekeeperError):
    """A channel cannot be added as asked (bad URL, name taken, unknown kind)."""


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """What may be shown about a channel: never its target nor its secret."""

    id: int
    client: str | None  # the client's key; None = MSP-wide
    name: str
    kind: str
    target: str  # redacted
    state: str  # ok, failing, disabled, new
    enabled: bool
    disabled_reason: str | None
    last_error: str | None
    last_error_at: float | None
    last_sent_at: float | None
    created_at: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def state_of(channel: Channel) -> str:
    if not channel.enabled:
        return "disabled"
    if channel.last_error_at is not None and channel.last_error_at >= (channel.last_sent_at or 0):
        return "failing"
    return "ok" if channel.last_sent_at is not None else "new"


def _client_id(session: Session, client_key: str | None) -> int | None:
    if client_key is None:
        return None
    client_id = session.scalar(select(Client.id).where(Client.key == client_key))
    if client_id is None:
        raise NotFound(f"no client {client_key!r}")
    return client_id


def create_channel(
    session: Session,
    box: SecretBox,
    notifiers: dict[str, Notifier],
    *,
    client_key: str | None,
    name: str,
    kind: str,
    target: str,
    secret: str | None,
    now: float,
    actor: str = "cli",
) -> tuple[Channel, str | None]:
    """Add a channel. Returns it and the signing secret when one was generated (show it once)."""
    notifier = notifiers.get(kind)
    if notifier is None:
        raise InvalidChannel(f"unknown channel kind {kind!r}; kinds are: {', '.join(notifiers)}")
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise InvalidChannel(f"a channel name has 1 to {NAME_MAX} characters")
    try:
        hint = notifier.describe(target)
    except ValueError as err:
        raise InvalidChannel(str(err)) from None
    client_id = _client_id(session, client_key)
    if session.scalar(select(Channel.id).where(_owner(client_id), Channel.name == name)):
        where = f"client {client_key!r}" if client_key else "the MSP"
        raise InvalidChannel(f"{where} has a channel named {name!r} already")
    generated = None
    if notifier.signed and not secret:
        secret = generated = secrets.token_urlsafe(32)
    channel = Channel(
        client_id=client_id,
        name=name,
        kind=kind,
        target_enc=box.encrypt(target),
        secret_enc=box.encrypt(secret) if secret else None,
        target_hint=hint[:200],
        enabled=True,
        created_at=now,
    )
    session.add(channel)
    session.flush()
    _audit(session, now, actor, "channel.add", channel, {"kind": kind, "target": hint})
    return channel, generated


def _owner(client_id: int | None) -> Any:
    return Channel.client_id.is_(None) if client_id is None else Channel.client_id == client_id


def find_channel(session: Session, name: str, client_key: str | None = None) -> Channel:
    """A channel by name: the client's when `client_key` is given; else the MSP-wide one, or
    the only channel of any client with that name."""
    if client_key is not None:
        channel = session.scalar(
            select(Channel).where(_owner(_client_id(session, client_key)), Channel.name == name)
        )
        if channel is None:
            raise NotFound(f"client {client_key!r} has no channel {name!r}")
        return channel
    matches = list(session.scalars(select(Channel).where(Channel.name == name)))
    msp_wide = [c for c in matches if c.client_id is None]
    if msp_wide:
        return msp_wide[0]
    if not matches:
        raise NotFound(f"no channel {name!r}")
    if len(matches) > 1:
        raise Ambiguous(f"several clients have a channel {name!r}: say which with --client")
    return matches[0]


def list_channels(session: Session, client_key: str | None = None) -> list[ChannelInfo]:
    keys: dict[int, str] = {
        row.id: row.key for row in session.execute(select(Client.id, Client.key))
    }
    query = select(Channel).order_by(
        Channel.client_id.is_not(None), Channel.client_id, Channel.name
    )
    if client_key is not None:
        query = query.where(Channel.client_id == _client_id(session, client_key))
    return [
        ChannelInfo(
            id=c.id,
            client=keys.get(c.client_id) if c.client_id is not None else None,
            name=c.name,
            kind=c.kind,
            target=c.target_hint,
            state=state_of(c),
            enabled=c.enabled,
            disabled_reason=c.disabled_reason,
            last_error=c.last_error,
            last_error_at=c.last_error_at,
            last_sent_at=c.last_sent_at,
            created_at=c.created_at,
        )
        for c in session.scalars(query)
    ]


def set_enabled(
    session: Session, channel: Channel, enabled: bool, now: float, actor: str = "cli"
) -> None:
    channel.enabled = enabled
    channel.disabled_reason = None if enabled else "disabled by an operator"
    _audit(session, now, actor, "channel.enable" if enabled else "channel.disable", channel, {})


def remove_channel(session: Session, channel: Channel, now: float, actor: str = "cli") -> None:
    """Delete the channel; its outbox rows stay (as history) with no channel, and unsent ones
    fail with "the channel was removed"."""
    _audit(session, now, actor, "channel.remove", channel, {"kind": channel.kind})
    session.delete(channel)


def destination(channel: Channel, box: SecretBox) -> Destination:
    return Destination(
        id=channel.id,
        name=channel.name,
        kind=channel.kind,
        target=box.decrypt(channel.target_enc),
        secret=box.decrypt(channel.secret_enc) if channel.secret_enc else None,
    )


def record_outcome(session: Session, channel_id: int, outcome: Outcome, now: float) -> None:
    """What the dashboard shows on a channel: when it last delivered, its last error, and why
    it was disabled (a permanent error)."""
    channel = session.get(Channel, channel_id)
    if channel is None or outcome.quiet:
        return
    if outcome.state == SENT:
        channel.last_sent_at = now
        return
    channel.last_error = outcome.error
    channel.last_error_at = now
    if outcome.permanent:
        channel.enabled = False
        channel.disabled_reason = f"permanent error: {outcome.error}"


def _audit(
    session: Session, now: float, actor: str, action: str, channel: Channel, detail: dict[str, Any]
) -> None:
    session.add(
        Audit(
            at=now,
            actor=actor,
            action=action,
            client_id=channel.client_id,
            detail={"channel": channel.name, "channel_id": channel.id, **detail},
        )
    )
