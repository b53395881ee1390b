"""What every notifier shares: the channel it sends to, the message, the error it raises.

    class Notifier(Protocol):
        signed: bool                                  # needs a signing secret
        def describe(self, target: str) -> str        # validate; a redacted form for lists
        async def send(self, channel: Destination, message: Message, ctx: SendContext) -> None

`send` returns when the message was delivered and raises `TransportError` otherwise:
`permanent=True` when retrying cannot help (a 4xx, a URL the service rejects), else the
outbox retries it, no sooner than `retry_after` seconds when the receiver said so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from sitekeeper.clock import Clock
from sitekeeper.protocols.http import HttpSessions


class TransportError(Exception):
    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Destination:
    """A channel as a notifier sees it: decrypted. Its repr shows no target nor secret."""

    id: int
    name: str
    kind: str
    target: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Message:
    kind: str  # opened, resolved, escalated, digest, test
    title: str
    text: str  # plain text
    markdown: str  # the same body in Markdown, for services that render it
    idempotency_key: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendContext:
    http: HttpSessions
    clock: Clock
    timeout: float = 30.0  # seconds for one delivery attempt


class Notifier(Protocol):
    signed: bool  # the channel has a signing secret (generated when none is given)

    def describe(self, target: str) -> str:
        """A redacted description of `target` ("Slack", "https://hooks.example.com/…");
        raises ValueError, with what is wrong, when the target cannot be used."""
        ...

    async def send(self, channel: Destination, message: Message, ctx: SendContext) -> None: ...


_HOSTLIKE = re.compile(r"^(localhost|[0-9.]+|\[[0-9a-fA-F:.]+\]|[^./]+(\.[^./]+)+)(:\d+)?$")


def public_host(netloc: str) -> str:
    """The host part of a URL when it looks like a host name or an address, else "…": many
    apprise URLs put a token where the host would be (slack://TokenA/...)."""
    host = netloc.rsplit("@", 1)[-1]
    return host if _HOSTLIKE.match(host) else "…"


def secret_parts(target: str) -> list[str]:
    """Pieces of a URL that may be secret: the whole URL, the credentials, and path segments
    and query values long enough to be tokens, longest first. Error texts are scrubbed of
    them before they are stored or logged."""
    parts = {target}
    try:
        url = urlsplit(target)
    except ValueError:
        return [target]
    if url.password:
        parts.add(url.password)
    if public_host(url.netloc) == "…":
        parts.add(url.netloc)
    tokens = url.path.split("/") + [value for _, value in parse_qsl(url.query)]
    parts.update(token for token in tokens if len(token) >= 8)
    parts.update({unquote(p) for p in parts})
    return sorted((p for p in parts if len(p) >= 3), key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    for piece in secrets:
        text = text.replace(piece, "…")
    return text
