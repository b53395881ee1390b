"""The client's side of SNMPv3 (RFC 3412 §7, RFC 3414 §3): building protected requests and
deciding which answers to believe.

What we accept in answer to a request (RFC 3412 §7.2 step 11, RFC 3414 §3.2):
- a Response only at the security level we asked for, from the engine we addressed, for our
  user and request-id, with a good digest, inside the time window;
- a Report at any level — an agent that cannot authenticate us (wrong password, unknown
  user) can only answer unauthenticated. Unauthenticated Reports can be forged, but all a
  forger achieves is failing a request it could also have dropped.
Authenticated answers that fail the digest or the time window are dropped (and counted):
they are forgeries, replays, or corruption, and the real answer may still come.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .ber import encode_int, tlv
from .errors import SnmpAuthError
from .message import FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, V3Message, decode_scoped_pdu
from .pdu import Pdu, PduType
from .usm import UsmUser, localized_keys
from .v3 import EngineClock, open_scoped, seal, verify

_EMPTY_GET_TAIL = encode_int(0) + encode_int(0) + b"\x30\x00"


@dataclass(slots=True)
class V3Request:
    """One v3 request across its attempts (each attempt gets a fresh msgID and timestamp)."""

    user: UsmUser
    clock: EngineClock
    request_id: int
    context_name: bytes
    pdu_tlv: bytes = field(repr=False)


def make_request(
    user: UsmUser,
    clock: EngineClock,
    request_id: int,
    context_name: bytes,
    kind: PduType,
    varbinds: bytes,
    field1: int,
    field2: int,
) -> V3Request:
    head = encode_int(request_id) + encode_int(field1) + encode_int(field2)
    return V3Request(user, clock, request_id, context_name, tlv(kind, head + varbinds))


def seal_request(req: V3Request, msg_id: int, now: float) -> bytes:
    clock = req.clock
    boots, engine_time = clock.estimate(now)
    user = req.user
    keys = localized_keys(user, clock.engine_id) if user.flags else None
    return seal(
        msg_id=msg_id,
        flags=user.flags | FLAG_REPORTABLE,
        user=user,
        keys=keys,
        engine_id=clock.engine_id,
        boots=boots,
        time=engine_time,
        context_engine_id=clock.engine_id,
        context_name=req.context_name,
        pdu_tlv=req.pdu_tlv,
    )


def discovery_request(msg_id: int) -> bytes:
    """RFC 3414 §4: noAuthNoPriv, reportable, empty engine ID and user, an empty GET."""
    pdu = tlv(PduType.GET, encode_int(msg_id) + _EMPTY_GET_TAIL)
    return seal(
        msg_id=msg_id,
        flags=FLAG_REPORTABLE,
        user=None,
        keys=None,
        engine_id=b"",
        boots=0,
        time=0,
        context_engine_id=b"",
        context_name=b"",
        pdu_tlv=pdu,
    )


def open_discovery_reply(msg: V3Message) -> Pdu | None:
    """The Report (or, from lax agents, Response) that tells us the engine ID."""
    if msg.flags & (FLAG_AUTH | FLAG_PRIV) or not msg.engine_id:
        return None
    pdu = decode_scoped_pdu(msg.data).pdu
    if isinstance(pdu, Pdu) and pdu.type in (PduType.REPORT, PduType.RESPONSE):
        return pdu
    return None


def open_reply(msg: V3Message, req: V3Request, now: float) -> Pdu | None:
    """The PDU of an answer we believe, None to drop it; `SnmpAuthError` when an
    authenticated answer fails its digest or time window (drop and count)."""
    user = req.user
    level = msg.flags & (FLAG_AUTH | FLAG_PRIV)
    if not level:
        pdu = decode_scoped_pdu(msg.data).pdu
        if not isinstance(pdu, Pdu):
            return None
        if pdu.type is PduType.REPORT:
            return pdu
        ok = pdu.type is PduType.RESPONSE and not user.flags and pdu.request_id == req.request_id
        return pdu if ok else None
    if msg.user != user.name.encode() or msg.engine_id != req.clock.engine_id:
        return None
    if not user.flags & FLAG_AUTH:
        return None
    keys = localized_keys(user, msg.engine_id)
    verify(msg, user, keys)
    pdu = open_scoped(msg, user, keys).pdu
    if not isinstance(pdu, Pdu):
        return None
    if pdu.type is PduType.REPORT:
        return pdu
    if pdu.type is not PduType.RESPONSE or pdu.request_id != req.request_id:
        return None
    if level != user.flags:
        return None
    if not req.clock.observe(msg.boots, msg.time, now):
        raise SnmpAuthError("an answer outside the time window (RFC 3414 §3.2 step 7)")
    return pdu
