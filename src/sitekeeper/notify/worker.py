"""The outbox worker: claims due notifications, sends them through the channel's notifier,
and records what happened, on the row and on the channel.

    claim (sending, attempts+1: written before the I/O) -> send -> sent | retry | failed

A permanent error (a 4xx, a URL the service rejects) fails the row and disables the channel
with the reason, so the dashboard can show it; rows for a disabled or removed channel fail at
once with a clear reason. Several workers (processes) may share one database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sitekeeper.clock import Clock, SystemClock
from sitekeeper.db.models import Channel
from sitekeeper.notify import NOTIFIERS
from sitekeeper.notify.base import (
    Destination,
    Notifier,
    SendContext,
    TransportError,
    redact,
    secret_parts,
)
from sitekeeper.notify.channels import destination, record_outcome
from sitekeeper.notify.messages import render
from sitekeeper.notify.outbox import (
    FAILED,
    PENDING,
    SENT,
    Claim,
    Outcome,
    RetryPolicy,
    claim_due,
    finish,
    requeue_stale,
    retry_delay,
)
from sitekeeper.protocols.http import HttpSessions
from sitekeeper.results.store import Store
from sitekeeper.secrets import SecretBox, SecretKeyError

log = logging.getLogger(__name__)
ERROR_MAX = 500  # characters of an error kept on the row and the channel


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    batch: int = 16  # rows claimed (and sent concurrently) per pass
    poll_s: float = 1.0  # how often to look for due rows when not woken
    send_timeout_s: float = 30.0  # one attempt; well below the claim timeout
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class OutboxWorker:
    def __init__(
        self,
        store: Store,
        box: SecretBox,
        *,
        http: HttpSessions,
        clock: Clock | None = None,
        notifiers: Mapping[str, Notifier] | None = None,
        options: WorkerOptions | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.box = box
        self.http = http
        self.clock = clock or SystemClock()
        self.notifiers = NOTIFIERS if notifiers is None else notifiers
        self.options = options or WorkerOptions()
        self.rng = rng or random.Random()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for due rows now (after enqueueing in this process)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                busy = await self.run_once() >= self.options.batch
            except Exception:  # a database hiccup must not stop notifications for good
                log.exception("outbox pass failed; trying again")
                busy = False
            if busy:
                continue
            waiters = [asyncio.ensure_future(e.wait()) for e in (stop, self._wake)]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED),
                    self.options.poll_s,
                )
            for waiter in waiters:
                waiter.cancel()
            self._wake.clear()

    async def run_once(self) -> int:
        """One pass: requeue stale claims, claim due rows, send them. Returns rows handled."""
        claims = await asyncio.to_thread(self._claim)
        results = await asyncio.gather(*(self.deliver(c) for c in claims), return_exceptions=True)
        for claim, result in zip(claims, results, strict=True):
            if isinstance(result, BaseException):  # left `sending`: retried after the timeout
                log.error("could not record notification %s: %r", claim.idempotency_key, result)
        return len(claims)

    def _claim(self) -> list[Claim]:
        now = self.clock.now()
        with self.store.session() as session, session.begin():
            stale = requeue_stale(session, now, self.options.retry)
            if stale:
                log.warning("%d notification(s) were mid-send too long; sending again", stale)
            return claim_due(session, now, self.options.batch)

    async def deliver(self, claim: Claim) -> Outcome:
        """Send one claimed row and record the outcome. Only a database error escapes (the
        row is then sent again after the claim timeout)."""
        channel, dest, outcome = await asyncio.to_thread(self._prepare, claim)
        if outcome is None and dest is not None:
            outcome = await self._send(claim, dest)
        assert outcome is not None
        outcome = replace(outcome, error=_scrub(outcome.error, dest))
        await asyncio.to_thread(self._record, claim, outcome)
        name = channel.name if channel is not None else "?"
        if outcome.state == SENT:
            log.info("notification %s delivered to channel %r", claim.idempotency_key, name)
        else:
            log.warning(
                "notification %s to channel %r: %s (%s)",
                claim.idempotency_key,
                name,
                outcome.error,
                "will retry" if outcome.state == PENDING else "gave up",
            )
        return outcome

    def _prepare(self, claim: Claim) -> tuple[Channel | None, Destination | None, Outcome | None]:
        """The channel and its decrypted target, or an outcome that needs no sending."""
        with self.store.session() as session:
            channel = session.get(Channel, claim.channel_id) if claim.channel_id else None
            if channel is None:
                return None, None, Outcome(FAILED, "the channel was removed", quiet=True)
            session.expunge(channel)
        if not channel.enabled:
            why = channel.disabled_reason or "disabled by an operator"
            return (
                channel,
                None,
                Outcome(FAILED, f"channel {channel.name!r} is disabled: {why}", quiet=True),
            )
        if channel.kind not in self.notifiers:
            return channel, None, Outcome(FAILED, f"no notifier for kind {channel.kind!r}")
        try:
            return channel, destination(channel, self.box), None
        except SecretKeyError as err:  # the operator can fix the key: keep the message
            return channel, None, self._retry(claim, str(err), None)

    async def _send(self, claim: Claim, dest: Destination) -> Outcome:
        ctx = SendContext(http=self.http, clock=self.clock, timeout=self.options.send_timeout_s)
        try:
            message = render(claim.kind, claim.payload, claim.idempotency_key)
            notifier = self.notifiers[dest.kind]
            # The notifier bounds itself by ctx.timeout; this is the backstop.
            await asyncio.wait_for(notifier.send(dest, message, ctx), ctx.timeout + 5.0)
        except TransportError as err:
            if err.permanent:
                return Outcome(FAILED, err.message, permanent=True)
            return self._retry(claim, err.message, err.retry_after)
        except TimeoutError:
            return self._retry(claim, f"no answer within {ctx.timeout:g} s", None)
        except Exception as err:  # a bug in a notifier or template: keep the row, say why
            log.exception("notifier %r failed unexpectedly", dest.kind)
            return self._retry(claim, f"internal error: {type(err).__name__}", None)
        return Outcome(SENT)

    def _retry(self, claim: Claim, error: str, retry_after: float | None) -> Outcome:
        policy = self.options.retry
        if claim.attempts >= policy.max_attempts:
            if claim.attempts > 1:
                error = f"gave up after {claim.attempts} attempts: {error}"
            return Outcome(FAILED, error)
        delay = retry_delay(claim.attempts, policy, self.rng, retry_after)
        return Outcome(PENDING, error, self.clock.now() + delay)

    def _record(self, claim: Claim, outcome: Outcome) -> None:
        now = self.clock.now()
        with self.store.session() as session, session.begin():
            if finish(session, claim, outcome, now) and claim.channel_id is not None:
                record_outcome(session, claim.channel_id, outcome, now)


def _scrub(error: str | None, dest: Destination | None) -> str | None:
    """No part of a channel's target or secret is ever stored in an error or logged."""
    if error is None:
        return None
    if dest is not None:
        pieces = secret_parts(dest.target) + ([dest.secret] if dest.secret else [])
        error = redact(error, pieces)
    return error[:ERROR_MAX]
