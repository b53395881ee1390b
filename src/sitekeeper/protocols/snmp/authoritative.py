"""The authoritative side of USM (RFC 3414 §3.2, §4): an engine that owns an engine ID,
boots and time, checks incoming requests, and answers what it cannot accept with a Report.

The trap receiver needs it for SNMPv3 informs — for an inform the *receiver* is the
authoritative engine, so the sender first discovers our engine ID and clock, exactly as a
manager discovers an agent's. Tests reuse it to play a v3 agent.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .ber import SEQUENCE, expect, read_int, read_octets, read_tlv
from .errors import SnmpAuthError, SnmpDecodeError
from .message import FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, MAX_INT31, V3Message
from .pdu import Pdu, PduType, TrapV1Pdu, encode_pdu
from .usm import UsmUser, localized_keys
from .v3 import (
    DECRYPTION_ERRORS,
    NOT_IN_TIME_WINDOWS,
    TIME_WINDOW,
    UNKNOWN_ENGINE_IDS,
    UNKNOWN_USER_NAMES,
    UNSUPPORTED_SEC_LEVELS,
    WRONG_DIGESTS,
    open_scoped,
    seal,
    verify,
)
from .values import Counter32, Oid

# RFC 3411 §5 SnmpEngineID: enterprise number with the high bit set, format 5 (octets).
# 32473 is the example enterprise number of RFC 5612; sitekeeper has none of its own.
_ENGINE_PREFIX = b"\x80\x00\x7e\xd9\x05"


def new_engine_id() -> bytes:
    return _ENGINE_PREFIX + secrets.token_bytes(8)


@dataclass(slots=True)
class Incoming:
    """A message that passed USM, with what a reply at the same level needs."""

    msg_id: int
    user: UsmUser
    level: int  # FLAG_AUTH | FLAG_PRIV bits
    context_engine_id: bytes
    context_name: bytes
    pdu: Pdu | TrapV1Pdu


class AuthoritativeEngine:
    def __init__(
        self,
        users: Iterable[UsmUser],
        *,
        engine_id: bytes | None = None,
        boots: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine_id = engine_id or new_engine_id()
        if not 5 <= len(self.engine_id) <= 32:
            raise ValueError("an engine ID has 5 to 32 octets (RFC 3411 §5)")
        self.boots = boots
        self.users = {user.name.encode(): user for user in users}
        self._clock = clock
        self._started = clock()
        self.counters: dict[Oid, int] = {}

    def engine_time(self) -> int:
        return min(int(self._clock() - self._started), MAX_INT31)

    def restart(self) -> None:
        """What a reboot does to the clock (RFC 3414 §2.2.2): boots + 1, time from 0."""
        self.boots += 1
        self._started = self._clock()

    def receive(self, msg: V3Message) -> tuple[Incoming | None, bytes | None]:
        """(accepted message, None), or (None, a Report to send back), or (None, None) to
        drop silently — RFC 3414 §3.2 steps 3 to 8 in order."""
        if msg.engine_id != self.engine_id:
            return None, self._report(msg, UNKNOWN_ENGINE_IDS)
        user = self.users.get(msg.user)
        if user is None:
            return None, self._report(msg, UNKNOWN_USER_NAMES)
        level = msg.flags & (FLAG_AUTH | FLAG_PRIV)
        if level != user.flags:
            return None, self._report(msg, UNSUPPORTED_SEC_LEVELS)
        keys = localized_keys(user, self.engine_id) if level else None
        if keys is not None:
            try:
                verify(msg, user, keys)
            except SnmpAuthError:
                return None, self._report(msg, WRONG_DIGESTS)
            now = self.engine_time()
            # RFC 3414 §3.2 step 7a: same boots, and time within 150 s of ours.
            if (
                self.boots == MAX_INT31
                or msg.boots != self.boots
                or abs(msg.time - now) > TIME_WINDOW
            ):
                return None, self._report(msg, NOT_IN_TIME_WINDOWS, user)
        try:
            scoped = open_scoped(msg, user, keys)
        except (SnmpDecodeError, SnmpAuthError):
            if level & FLAG_PRIV:
                return None, self._report(msg, DECRYPTION_ERRORS)
            return None, None
        incoming = Incoming(
            msg.msg_id, user, level, scoped.context_engine_id, scoped.context_name, scoped.pdu
        )
        return incoming, None

    def reply(self, incoming: Incoming, pdu: Pdu) -> bytes:
        """A Response (or any PDU) at the level of the message it answers."""
        user = incoming.user
        return seal(
            msg_id=incoming.msg_id,
            flags=incoming.level,
            user=user,
            keys=localized_keys(user, self.engine_id) if incoming.level else None,
            engine_id=self.engine_id,
            boots=self.boots,
            time=self.engine_time(),
            context_engine_id=incoming.context_engine_id,
            context_name=incoming.context_name,
            pdu_tlv=encode_pdu(pdu),
        )

    def _report(self, msg: V3Message, counter: Oid, user: UsmUser | None = None) -> bytes | None:
        """A Report of `counter` (RFC 3412 §7.1 step 3), only for reportable messages;
        authenticated (authNoPriv) when `user` is given, as notInTimeWindow must be."""
        if not msg.flags & FLAG_REPORTABLE:
            return None
        count = self.counters[counter] = self.counters.get(counter, 0) + 1
        report = Pdu(PduType.REPORT, _request_id(msg), 0, 0, [(counter, Counter32(count))])
        return seal(
            msg_id=msg.msg_id,
            flags=FLAG_AUTH if user else 0,
            user=user,
            keys=localized_keys(user, self.engine_id) if user else None,
            engine_id=self.engine_id,
            boots=self.boots,
            time=self.engine_time(),
            context_engine_id=self.engine_id,
            context_name=b"",
            pdu_tlv=encode_pdu(report),
        )


def _request_id(msg: V3Message) -> int:
    """The request-id of a plaintext message, for its Report; 0 when it cannot be read."""
    if msg.flags & FLAG_PRIV:
        return 0
    data = msg.data
    try:
        start, stop = expect(data, 0, len(data), SEQUENCE, "ScopedPDU")
        _, p = read_octets(data, start, stop, "contextEngineID")
        _, p = read_octets(data, p, stop, "contextName")
        _, ps, pe = read_tlv(data, p, stop)
        return read_int(data, ps, pe, "request-id")[0]
    except SnmpDecodeError:
        return 0
