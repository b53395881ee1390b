"""Notifications: channels, an outbox, and one registry of notifiers.

    incident change --enqueue (same transaction)--> outbox row --OutboxWorker--> notifier

A notifier is one small module with `describe(target)` and `async send(channel, message,
ctx)` raising `TransportError(message, permanent=..., retry_after=...)` (see `base`).
Adding one: a module here, one line in NOTIFIERS, and a section in docs/notifications.md.
"""

from __future__ import annotations

from sitekeeper.notify.apprise import AppriseNotifier
from sitekeeper.notify.base import Destination, Message, Notifier, SendContext, TransportError
from sitekeeper.notify.webhook import WebhookNotifier

NOTIFIERS: dict[str, Notifier] = {
    "apprise": AppriseNotifier(),
    "webhook": WebhookNotifier(),
}

__all__ = ["NOTIFIERS", "Destination", "Message", "Notifier", "SendContext", "TransportError"]
