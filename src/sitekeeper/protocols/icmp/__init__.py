"""ICMP echo ("ping"): one shared socket per address family, replies matched by address,
sequence and a token (see `pinger`)."""

from .errors import IcmpClosedError, IcmpError, IcmpPermissionError, IcmpResolveError
from .pinger import Pinger, PingerStats
from .result import PingResult

__all__ = [
    "IcmpClosedError",
    "IcmpError",
    "IcmpPermissionError",
    "IcmpResolveError",
    "PingResult",
    "Pinger",
    "PingerStats",
]
