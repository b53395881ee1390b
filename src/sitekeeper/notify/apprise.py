"""Everything apprise reaches (e-mail, Slack, Teams, ntfy, Pushover, Telegram, ...), from
one URL per channel. Apprise's `notify` blocks, so it runs in a thread, bounded by the
attempt's timeout.

Apprise reports success or failure, and its log lines say more: an `error=NNN` there is the
service's HTTP status, `Socket Exception: (535, ...)` an SMTP reply. A URL apprise cannot
use, an HTTP 4xx other than 408/425/429, or an SMTP 5xx is permanent; anything else
(connection errors, HTTP 5xx, timeouts) is retried.
Apprise's own log lines can contain parts of a service URL, so they are captured per call
(and scrubbed by the worker) rather than passed on to the process log.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import warnings
from typing import Any
from urllib.parse import urlsplit

from sitekeeper.notify.base import Destination, Message, SendContext, TransportError, public_host

_HTTP_STATUS = re.compile(r"error=(\d{3})\b")
_SMTP_STATUS = re.compile(r"^Socket Exception: \((\d{3}),")
_RETRYABLE_4XX = {408, 425, 429}
_SHOWN_LEVELS = {"WARNING", "ERROR", "CRITICAL"}  # debug lines may carry payloads and URLs
_NOTIFY_TYPE = {"opened": "failure", "escalated": "failure", "resolved": "success"}
_lock = threading.Lock()
_loaded = False


def _load() -> Any:
    """Import apprise once, with its plugins. Some of them import modules that warn about
    their own deprecation on Python 3.11 (imghdr), which is not ours to fix."""
    global _loaded
    with _lock:
        if not _loaded:
            # Captured per call (see _notify), never passed on: debug lines carry URLs.
            quiet = logging.getLogger("apprise")
            quiet.propagate = False
            quiet.setLevel(logging.DEBUG)  # the SMTP reply is only logged at debug level
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=DeprecationWarning)
                import apprise
                from apprise.plugins import N_MGR

                N_MGR.load_modules()  # type: ignore[no-untyped-call]
            _loaded = True
    import apprise

    return apprise


def classify(lines: list[str]) -> bool:
    """Whether a failed apprise call is permanent: every status it logged is one retrying
    cannot fix (an HTTP 4xx but 408/425/429; an SMTP 5xx, such as 535 for a wrong password).
    No status at all (a connection error, a timeout) is worth a retry."""
    verdicts = [
        400 <= int(code) < 500 and int(code) not in _RETRYABLE_4XX
        for line in lines
        for code in _HTTP_STATUS.findall(line)
    ]
    verdicts += [int(code) >= 500 for line in lines for code in _SMTP_STATUS.findall(line)]
    return bool(verdicts) and all(verdicts)


def _notify(target: str, message: Message, timeout: float) -> None:
    apprise = _load()
    client = apprise.Apprise()
    if not client.add(target):
        raise TransportError("apprise cannot use this URL (unknown or invalid)", permanent=True)
    result = client.notify(
        body=message.markdown,
        title=message.title,
        body_format=apprise.NotifyFormat.MARKDOWN,
        notify_type=_NOTIFY_TYPE.get(message.kind, "info"),
        timeout=timeout,
        log_level=logging.DEBUG,
    )
    with result:
        status = result.status
        if status == apprise.AppriseResultStatus.SUCCESS:
            return
        lines = [
            entry.message
            for entry in result.logs()
            if entry.level in _SHOWN_LEVELS or entry.message.startswith("Socket Exception:")
        ]
    if status == apprise.AppriseResultStatus.TIMEOUT:
        raise TransportError(f"no answer within {timeout:g} s")
    if status == apprise.AppriseResultStatus.NOMATCH:
        raise TransportError("apprise found no service in this URL", permanent=True)
    detail = "; ".join(dict.fromkeys(lines)) or f"apprise reported {status.name.lower()}"
    raise TransportError(detail, permanent=classify(lines))


class AppriseNotifier:
    signed = False

    def describe(self, target: str) -> str:
        apprise = _load()
        plugin = apprise.Apprise.instantiate(target)
        if plugin is None:
            raise ValueError(
                "apprise cannot use this URL (an unknown service, or a part missing): "
                "apprise's documentation gives the URL form of each service"
            )
        url = urlsplit(target)
        return f"{plugin.service_name} ({url.scheme}://{public_host(url.netloc)})"

    async def send(self, channel: Destination, message: Message, ctx: SendContext) -> None:
        await asyncio.to_thread(_notify, channel.target, message, ctx.timeout)
