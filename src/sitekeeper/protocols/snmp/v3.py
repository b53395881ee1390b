"""Protecting and unprotecting SNMPv3 messages (RFC 3414 §3.1 and §3.2), and the engine
clock a non-authoritative engine keeps for each agent (RFC 3414 §2.3, §3.2 step 7b).

Both sides use these: the client (non-authoritative: it sends requests, the agent owns the
engine ID and clock) and `authoritative.py` (the trap receiver answering informs).
"""

from __future__ import annotations

import hmac

from .ber import OCTET_STRING, tlv
from .errors import (
    SnmpAuthError,
    SnmpError,
    SnmpReportError,
    SnmpTimeWindowError,
)
from .message import (
    FLAG_AUTH,
    FLAG_PRIV,
    MAX_INT31,
    ScopedPdu,
    V3Message,
    decode_scoped_pdu,
    encode_scoped_pdu,
    encode_v3,
)
from .usm import LocalizedKeys, PrivProtocol, UsmUser, decrypt, encrypt, sign
from .values import Oid, format_oid

TIME_WINDOW = 150  # seconds, RFC 3414 §2.2.3

# usmStats counters carried by Reports (RFC 3414 §5, SNMP-USER-BASED-SM-MIB) ...
_USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
UNSUPPORTED_SEC_LEVELS = (*_USM_STATS, 1, 0)
NOT_IN_TIME_WINDOWS = (*_USM_STATS, 2, 0)
UNKNOWN_USER_NAMES = (*_USM_STATS, 3, 0)
UNKNOWN_ENGINE_IDS = (*_USM_STATS, 4, 0)
WRONG_DIGESTS = (*_USM_STATS, 5, 0)
DECRYPTION_ERRORS = (*_USM_STATS, 6, 0)
# ... and by the message processing and context layers (RFC 3412 §5, RFC 3413 §4.1).
_REPORT_NAMES: dict[Oid, str] = {
    UNSUPPORTED_SEC_LEVELS: "unsupported security level",
    NOT_IN_TIME_WINDOWS: "not in time window",
    UNKNOWN_USER_NAMES: "unknown user name",
    UNKNOWN_ENGINE_IDS: "unknown engine ID",
    WRONG_DIGESTS: "wrong digest (check the authentication password)",
    DECRYPTION_ERRORS: "decryption error (check the privacy password)",
    (1, 3, 6, 1, 6, 3, 11, 2, 1, 1, 0): "unknown security model",
    (1, 3, 6, 1, 6, 3, 11, 2, 1, 2, 0): "invalid message",
    (1, 3, 6, 1, 6, 3, 11, 2, 1, 3, 0): "unknown PDU handler",
    (1, 3, 6, 1, 6, 3, 12, 1, 4, 0): "unavailable context",
    (1, 3, 6, 1, 6, 3, 12, 1, 5, 0): "unknown context",
}
_AUTH_REPORTS = {UNSUPPORTED_SEC_LEVELS, UNKNOWN_USER_NAMES, WRONG_DIGESTS, DECRYPTION_ERRORS}


def report_error(oid: Oid | None) -> SnmpError:
    """The error a Report (with no remedy) stands for."""
    name = _REPORT_NAMES.get(oid) if oid else None
    text = f"agent reported {name or 'an unknown condition'}"
    if oid:
        text += f" ({format_oid(oid)})"
    if oid in _AUTH_REPORTS:
        return SnmpAuthError(text)
    if oid == NOT_IN_TIME_WINDOWS:
        return SnmpTimeWindowError(text)
    return SnmpReportError(text, oid)


class EngineClock:
    """Our notion of one authoritative engine's snmpEngineBoots and snmpEngineTime."""

    __slots__ = ("boots", "engine_id", "latest", "synced_at", "time")

    def __init__(self, engine_id: bytes, boots: int, time: int, now: float) -> None:
        self.engine_id = engine_id
        self.reset(boots, time, now)

    def reset(self, boots: int, time: int, now: float) -> None:
        """Take the agent's values as they are: from discovery, or from an *authentic*
        notInTimeWindow report (which may move time backwards when an agent forgot to
        persist its boots counter across a restart)."""
        self.boots = boots
        self.time = time
        self.latest = time  # latestReceivedEngineTime
        self.synced_at = now

    def estimate(self, now: float) -> tuple[int, int]:
        return self.boots, min(self.time + int(now - self.synced_at), MAX_INT31)

    def observe(self, boots: int, time: int, now: float) -> bool:
        """RFC 3414 §3.2 step 7b for an authentic message: advance our notion if the message
        is newer, then say whether it falls inside the time window."""
        if boots > self.boots or (boots == self.boots and time > self.latest):
            self.reset(boots, time, now)
        if self.boots == MAX_INT31 or boots < self.boots:
            return False
        return not (boots == self.boots and time < self.estimate(now)[1] - TIME_WINDOW)


def seal(
    *,
    msg_id: int,
    flags: int,
    user: UsmUser | None,
    keys: LocalizedKeys | None,
    engine_id: bytes,
    boots: int,
    time: int,
    context_engine_id: bytes,
    context_name: bytes,
    pdu_tlv: bytes,
) -> bytes:
    """An outgoing message protected as `flags` asks (RFC 3414 §3.1.1): encrypted with the
    localized privacy key, then the digest over the whole message put in place."""
    scoped = encode_scoped_pdu(context_engine_id, context_name, pdu_tlv)
    priv_params = b""
    data = scoped
    auth_len = 0
    if flags & FLAG_AUTH:
        if user is None or keys is None:
            raise SnmpAuthError("an authenticated message needs a user and keys")
        auth_len = user.auth_protocol.digest_length
        if flags & FLAG_PRIV:
            ciphertext, priv_params = encrypt(user.priv_protocol, keys.priv, boots, time, scoped)
            data = tlv(OCTET_STRING, ciphertext)
    message, offset = encode_v3(
        msg_id=msg_id,
        flags=flags,
        engine_id=engine_id,
        boots=boots,
        time=time,
        user=user.name.encode() if user else b"",
        auth_len=auth_len,
        priv_params=priv_params,
        data=data,
    )
    if not auth_len:
        return message
    assert user is not None
    assert keys is not None
    digest = sign(user.auth_protocol, keys.auth, message)
    return message[:offset] + digest + message[offset + auth_len :]


def verify(msg: V3Message, user: UsmUser, keys: LocalizedKeys) -> None:
    """RFC 3414 §3.2 step 6: recompute the digest with the parameters zeroed."""
    proto = user.auth_protocol
    n = proto.digest_length
    if len(msg.auth_params) != n:
        raise SnmpAuthError("wrong digest length for the user's authentication protocol")
    raw = msg.raw
    zeroed = raw[: msg.auth_offset] + bytes(n) + raw[msg.auth_offset + n :]
    if not hmac.compare_digest(sign(proto, keys.auth, zeroed), msg.auth_params):
        raise SnmpAuthError("wrong digest (check the authentication password)")


def open_scoped(msg: V3Message, user: UsmUser | None, keys: LocalizedKeys | None) -> ScopedPdu:
    """The ScopedPDU of an already verified message, decrypted if needed (RFC 3414 §3.2
    step 8). A wrong privacy key yields garbage, hence `SnmpDecodeError`."""
    if not msg.flags & FLAG_PRIV:
        return decode_scoped_pdu(msg.data)
    if user is None or keys is None or user.priv_protocol is PrivProtocol.NONE:
        raise SnmpAuthError("an encrypted message for a user without privacy")
    plaintext = decrypt(
        user.priv_protocol, keys.priv, msg.boots, msg.time, msg.priv_params, msg.data
    )
    return decode_scoped_pdu(plaintext, padded=user.priv_protocol is PrivProtocol.DES)
