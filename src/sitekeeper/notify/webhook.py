"""The native webhook: a JSON POST signed with the channel's secret.

Headers: `X-Sitekeeper-Signature: sha256=<hex HMAC-SHA256 of the body>`,
`X-Sitekeeper-Timestamp` (epoch seconds, also inside the signed body as `timestamp`),
`Idempotency-Key` (the same on every retry of one message: receivers dedupe by it).
2xx is delivered; 5xx, 408 and connection errors are retried; 429 (and 503) honour
Retry-After; a redirect or any other 4xx is permanent.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import socket
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import aiohttp

from sitekeeper import __version__
from sitekeeper.notify.base import Destination, Message, SendContext, TransportError
from sitekeeper.protocols.http import read_capped

RETRYABLE_4XX = {408, 425, 429}


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait, from `Retry-After: 120` or `Retry-After: <HTTP date>`."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None  # unparseable: the ordinary backoff applies


def _why(error: OSError) -> str:
    if isinstance(error, socket.gaierror):
        return f"cannot resolve the host name ({error.strerror})"
    if error.errno and error.errno > 0:
        return os.strerror(error.errno)  # "Connection refused", not asyncio's wording
    return error.strerror or type(error).__name__


class WebhookNotifier:
    signed = True

    def describe(self, target: str) -> str:
        url = urlsplit(target)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError("a webhook URL starts with https:// (or http://) and names a host")
        netloc = url.netloc.rsplit("@", 1)[-1]  # never show credentials
        return f"{url.scheme}://{netloc}/…" if url.path.strip("/") or url.query else target

    async def send(self, channel: Destination, message: Message, ctx: SendContext) -> None:
        if not channel.secret:
            raise TransportError("the webhook has no signing secret", permanent=True)
        now = ctx.clock.now()
        document = {
            **message.payload,
            "title": message.title,
            "text": message.text,
            "idempotency_key": message.idempotency_key,
            "timestamp": int(now),
        }
        body = json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"sitekeeper/{__version__}",
            "X-Sitekeeper-Event": message.kind,
            "X-Sitekeeper-Signature": sign(channel.secret, body),
            "X-Sitekeeper-Timestamp": str(int(now)),
            "Idempotency-Key": message.idempotency_key,
        }
        host = urlsplit(channel.target).netloc.rsplit("@", 1)[-1]
        try:
            async with asyncio.timeout(ctx.timeout):
                session = ctx.http.get(verify_tls=True)
                async with session.post(
                    channel.target, data=body, headers=headers, allow_redirects=False
                ) as response:
                    if 200 <= response.status < 300:
                        return
                    snippet, _ = await read_capped(response.content, 200)
                    status, reason = response.status, response.reason or ""
                    retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
        except TimeoutError:
            raise TransportError(f"{host} did not answer within {ctx.timeout:g} s") from None
        except aiohttp.InvalidURL:
            raise TransportError("the webhook URL is invalid", permanent=True) from None
        except aiohttp.ClientSSLError as err:  # a certificate can be fixed: retry
            raise TransportError(f"TLS with {host} failed: {err.os_error}") from None
        except aiohttp.ClientConnectorError as err:
            raise TransportError(f"cannot connect to {host}: {_why(err.os_error)}") from None
        except aiohttp.ClientError as err:
            raise TransportError(f"{host}: {type(err).__name__}") from None
        text = snippet.decode("utf-8", "replace").strip()
        detail = f"HTTP {status} {reason}".strip() + (f": {text}" if text else "")
        if 300 <= status < 400:
            raise TransportError(
                f"{detail} (the URL redirects: point the channel at the final URL)",
                permanent=True,
            )
        permanent = 400 <= status < 500 and status not in RETRYABLE_4XX
        raise TransportError(detail, permanent=permanent, retry_after=retry_after)
