"""Every error the SNMP engine raises. Callers (the SNMP probe) catch `SnmpError` and turn it
into an Observation; nothing else escapes the engine, whatever an agent sends.

    SitekeeperError
     +-- SnmpError                  base of everything below
          +-- SnmpDecodeError       a datagram is not valid BER/SNMP (broken or hostile agent)
          +-- SnmpEncodeError       we were asked to send something SNMP cannot carry (also ValueError)
          +-- SnmpTimeout           no answer after every retry (also TimeoutError)
          +-- SnmpResponseError     the agent answered with error-status != noError
          +-- SnmpWalkError         a walk cannot finish: too many rows, or ...
          |    +-- SnmpLoopError    ... the agent returned OIDs that do not increase
          +-- SnmpSecurityError     SNMPv3 USM (RFC 3414) refused the exchange
          |    +-- SnmpAuthError    unknown user, wrong digest (password), unsupported level,
          |    |                    decryption error
          |    +-- SnmpTimeWindowError  still outside the time window after resynchronising
          +-- SnmpReportError       any other SNMPv3 Report in answer to a request
          +-- SnmpClosedError       the client or receiver was closed while a request waited
"""

from __future__ import annotations

from sitekeeper.errors import SitekeeperError


class SnmpError(SitekeeperError):
    """Base of every SNMP engine error."""


class SnmpDecodeError(SnmpError):
    """Bytes that are not a valid SNMP message. The decoder raises only this, on any input."""


class SnmpEncodeError(SnmpError, ValueError):
    """A value, OID or credential that cannot be put on the wire (a caller's mistake)."""


class SnmpTimeout(SnmpError, TimeoutError):
    """No matching answer within timeout x (retries + 1)."""


# RFC 3416 §3 error-status names, for messages users read.
ERROR_STATUS_NAMES = (
    "noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess",
    "wrongType", "wrongLength", "wrongEncoding", "wrongValue", "noCreation",
    "inconsistentValue", "resourceUnavailable", "commitFailed", "undoFailed",
    "authorizationError", "notWritable", "inconsistentName",
)  # fmt: skip


class SnmpResponseError(SnmpError):
    """The agent answered with a non-zero error-status (RFC 3416 §4.2.1); `index` is 1-based
    into the request's varbinds (0 when no varbind is to blame)."""

    def __init__(self, status: int, index: int, oid: tuple[int, ...] | None = None) -> None:
        self.status = status
        self.index = index
        self.oid = oid
        name = ERROR_STATUS_NAMES[status] if 0 <= status < len(ERROR_STATUS_NAMES) else "unknown"
        where = f" at {'.'.join(map(str, oid))}" if oid else f" (index {index})"
        super().__init__(f"agent answered {name} ({status}){where}")

    @property
    def name(self) -> str:
        ok = 0 <= self.status < len(ERROR_STATUS_NAMES)
        return ERROR_STATUS_NAMES[self.status] if ok else str(self.status)


class SnmpWalkError(SnmpError):
    """A walk could not complete within its bounds."""


class SnmpLoopError(SnmpWalkError):
    """The agent returned an OID not greater than the previous one: walking on would loop."""


class SnmpSecurityError(SnmpError):
    """SNMPv3 security refused the exchange."""


class SnmpAuthError(SnmpSecurityError):
    """Unknown user, wrong digest (usually a wrong password), unsupported security level, or a
    decryption error (usually a wrong privacy password) — RFC 3414 §3.2."""


class SnmpTimeWindowError(SnmpSecurityError):
    """The agent keeps answering notInTimeWindow even after we took its boots/time."""


class SnmpReportError(SnmpError):
    """An SNMPv3 Report we have no remedy for; `oid` names the counter it carried."""

    def __init__(self, message: str, oid: tuple[int, ...] | None = None) -> None:
        self.oid = oid
        super().__init__(message)


class SnmpClosedError(SnmpError):
    """The client or receiver was closed."""
