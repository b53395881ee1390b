"""MQTT probe: subscribe to a topic, take the first message (a retained one counts), judge it.

Availability topics (Zigbee2MQTT, Home Assistant, Shelly, Tasmota) are judged online/offline;
any topic can be judged by `json_field`/`json_equals` and `payload_regex`. With `max_age`
the check is a stale-topic check: a retained message counts only when its payload carries a
timestamp that young; otherwise the probe listens for a live message for up to `max_age`.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from sitekeeper.checks.specs_devices import MqttCheck
from sitekeeper.observation import Observation, Value
from sitekeeper.probes._common import describe, elapsed_ms, printable, timed_out
from sitekeeper.probes._json import FieldMissing, judge_json, lookup
from sitekeeper.probes.base import ProbeContext, Target
from sitekeeper.protocols import mqtt
from sitekeeper.protocols.mqtt import Broker, MqttError, MqttMessage

PAYLOAD_SHOWN = 200
AUTO_TIMESTAMP = "last_seen"  # Zigbee2MQTT adds it to device payloads when enabled
# Kept from the listening time for a polite DISCONNECT before the deadline.
DISCONNECT_RESERVE = 0.2


@dataclass(frozen=True, slots=True)
class Seen:
    message: MqttMessage
    age_s: float | None  # None: a retained message without a timestamp


def message_age(spec: MqttCheck, message: MqttMessage, now: float) -> float | None:
    """Seconds since the payload's timestamp; 0 for a live message without one."""
    document = mqtt.parse_json(message.payload.decode("utf-8", errors="replace"))
    stamp = None
    if isinstance(document, dict):
        try:
            stamp = mqtt.parse_timestamp(lookup(document, spec.timestamp_field or AUTO_TIMESTAMP))
        except FieldMissing:
            stamp = None
    if stamp is not None:
        return round(max(0.0, now - stamp), 3)
    return None if message.retained else 0.0


def is_availability(spec: MqttCheck, topic: str) -> bool:
    if spec.availability is not None:
        return spec.availability
    return mqtt.is_availability_topic(topic)


def _availability(message: MqttMessage) -> tuple[bool | None, str | None]:
    """(online, problem) for a message on an availability topic."""
    topic = message.topic.lower()
    is_state = topic.endswith("/state") and not topic.endswith("bridge/state")
    online = (mqtt.state_available if is_state else mqtt.availability)(message.payload)
    shown = printable(message.payload, 40)
    if online is None:
        return None, f'cannot tell availability from "{shown}" on {message.topic}'
    return online, None if online else f'{message.topic} says "{shown}" (offline)'


def judge(spec: MqttCheck, message: MqttMessage) -> tuple[bool | None, list[str], dict[str, Value]]:
    """(ok, problems, values) for one message: False beats None (cannot tell) beats True."""
    values: dict[str, Value] = {}
    failed: list[str] = []
    unsure: list[str] = []
    if is_availability(spec, message.topic):
        online, problem = _availability(message)
        if online is not None:
            values["available"] = online
        if problem:
            (unsure if online is None else failed).append(problem)
    text = message.payload.decode("utf-8", errors="replace")
    if spec.json_field is not None:
        found, json_problem = judge_json(text, spec.json_field, spec.json_equals)
        if found is not None:
            values["json_value"] = found
        if json_problem:
            failed.append(f"payload: {json_problem}")
    if spec.payload_regex is not None and not re.search(spec.payload_regex, text, re.MULTILINE):
        failed.append(f'payload does not match "{spec.payload_regex}"')
    ok = False if failed else None if unsure else True
    return ok, [*failed, *unsure], values


def silence(spec: MqttCheck, topic: str, waited: float, last: Seen | None) -> tuple[bool, str]:
    """(conclusive, error) when no message that counts arrived."""
    if spec.max_age is None:
        return True, f"no message on {topic} within {waited:.1f}s"
    if last is not None and last.age_s is not None:
        return True, (
            f"stale: the last message on {topic} is {last.age_s:.0f}s old "
            f"(max_age {spec.max_age:g}s)"
        )
    if waited + 0.01 >= spec.max_age:
        retained = " (only a retained message of unknown age)" if last else ""
        return True, f"stale: no message on {topic} for {spec.max_age:g}s{retained}"
    return False, (
        f"no message on {topic} in the {waited:.1f}s the probe listened; cannot tell whether "
        f"the last one is older than max_age {spec.max_age:g}s (use a timeout ≥ max_age)"
    )


async def _first_that_counts(
    sub: mqtt.Subscription, spec: MqttCheck, ctx: ProbeContext, seen: list[Seen]
) -> Seen:
    """Receive until a message counts; every message taken is appended to `seen`."""
    while True:
        message = await sub.receive()
        one = Seen(message, message_age(spec, message, ctx.clock.now()))
        seen.append(one)
        kind = "retained" if message.retained else "live"
        ctx.log(f"{kind} message on {message.topic}: {printable(message.payload, 80)}")
        if spec.max_age is None or (one.age_s is not None and one.age_s <= spec.max_age):
            return one
        ctx.log("too old, or of unknown age, for max_age; listening on")


def _values(seen: Seen) -> dict[str, Value]:
    values: dict[str, Value] = {
        "payload": printable(seen.message.payload, PAYLOAD_SHOWN),
        "topic": seen.message.topic,
        "retained": seen.message.retained,
    }
    if seen.age_s is not None:
        values["age_s"] = seen.age_s
    return values


async def observe(
    target: Target,
    spec: MqttCheck,
    ctx: ProbeContext,
    *,
    username: str | None = None,
    password: str | None = None,
) -> Observation:
    """The probe, given the broker login (from the resolved credentials)."""
    started, t0 = ctx.clock.now(), ctx.clock.monotonic()
    host = spec.broker or target.address
    port = spec.port if spec.broker else (target.port or spec.port)
    topic = spec.topic.replace("{device}", target.name).replace("{address}", target.address)
    budget = ctx.remaining()
    seen: list[Seen] = []
    found: Seen | None = None
    waited, stage, error = 0.0, f"connecting to {host}:{port}", None
    try:
        async with asyncio.timeout(budget):
            ctx.log(stage)
            broker = Broker(host, port, username, password, spec.client_id)
            async with mqtt.subscription(broker, topic, wait=budget) as sub:
                ctx.log(f"subscribed to {topic}")
                stage = f"listening on {topic}"
                listen = max(0.0, ctx.remaining() - min(DISCONNECT_RESERVE, budget / 4))
                listen = min(listen, spec.max_age) if spec.max_age is not None else listen
                t_listen = ctx.clock.monotonic()
                try:
                    async with asyncio.timeout(listen):
                        found = await _first_that_counts(sub, spec, ctx, seen)
                except TimeoutError:
                    waited = ctx.clock.monotonic() - t_listen
                stage = "disconnecting"
    except TimeoutError:
        if stage != "disconnecting":  # a slow goodbye says nothing about the topic
            error = timed_out(budget, stage)
    except MqttError as err:
        error = f"{err} ({host}:{port})"
    except Exception as err:  # a probe never raises; CancelledError is not an Exception
        error = describe(err)
    if error is not None:
        return ctx.observation(target, ok=False, started=started, error=error)
    if found is None:
        last = seen[-1] if seen else None
        conclusive, error = silence(spec, topic, waited, last)
        return ctx.observation(
            target,
            ok=False if conclusive and spec.on_stale == "fail" else None,
            started=started,
            values=_values(last) if last else {},
            error=error,
        )
    ok, problems, judged = judge(spec, found.message)
    return ctx.observation(
        target,
        ok=ok,
        started=started,
        latency_ms=elapsed_ms(ctx, t0),
        values={**_values(found), **judged},
        error="; ".join(problems) or None,
    )


async def probe(target: Target, spec: MqttCheck, ctx: ProbeContext) -> Observation:
    creds = target.credentials or {}
    return await observe(
        target, spec, ctx, username=creds.get("username"), password=creds.get("password")
    )
