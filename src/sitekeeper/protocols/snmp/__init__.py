"""An asyncio SNMP engine: BER codec, v1/v2c/v3 (USM) client, walks, and a trap/inform
receiver. See docs/snmp.md.

    async with SnmpClient() as client:
        target = Target("192.0.2.7", community="public")
        values = await client.get(target, ["1.3.6.1.2.1.1.3.0"])
"""

from .authoritative import AuthoritativeEngine
from .client import SnmpClient
from .errors import (
    SnmpAuthError,
    SnmpClosedError,
    SnmpDecodeError,
    SnmpEncodeError,
    SnmpError,
    SnmpLoopError,
    SnmpReportError,
    SnmpResponseError,
    SnmpSecurityError,
    SnmpTimeout,
    SnmpTimeWindowError,
    SnmpWalkError,
)
from .message import Version, decode_message
from .pdu import Pdu, PduType, TrapV1Pdu
from .target import Target
from .transport import ClientStats
from .traps import Notification, ReceiverStats, TrapReceiver
from .usm import AuthProtocol, PrivProtocol, UsmUser
from .values import (
    Counter32,
    Counter64,
    Gauge32,
    NoValue,
    Oid,
    Opaque,
    TimeTicks,
    Unsigned32,
    Value,
    VarBind,
    format_oid,
    parse_oid,
)

__all__ = [
    "AuthProtocol",
    "AuthoritativeEngine",
    "ClientStats",
    "Counter32",
    "Counter64",
    "Gauge32",
    "NoValue",
    "Notification",
    "Oid",
    "Opaque",
    "Pdu",
    "PduType",
    "PrivProtocol",
    "ReceiverStats",
    "SnmpAuthError",
    "SnmpClient",
    "SnmpClosedError",
    "SnmpDecodeError",
    "SnmpEncodeError",
    "SnmpError",
    "SnmpLoopError",
    "SnmpReportError",
    "SnmpResponseError",
    "SnmpSecurityError",
    "SnmpTimeWindowError",
    "SnmpTimeout",
    "SnmpWalkError",
    "Target",
    "TimeTicks",
    "TrapReceiver",
    "TrapV1Pdu",
    "Unsigned32",
    "UsmUser",
    "Value",
    "VarBind",
    "Version",
    "decode_message",
    "format_oid",
    "parse_oid",
]
