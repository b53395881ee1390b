"""What the client needs to know to talk to one agent."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import SnmpEncodeError
from .message import Version
from .usm import UsmUser


@dataclass(frozen=True, slots=True)
class Target:
    """One agent: where it is, which SNMP it speaks, and with which credentials.

    `timeout` is per attempt; a request makes `retries + 1` attempts, so it gives up after
    about `timeout * (retries + 1)` seconds. The community and the v3 user's passwords are
    left out of every repr (DESIGN invariant 8).
    """

    host: str
    port: int = 161
    version: Version = Version.V2C
    community: str | bytes = field(default=b"", repr=False)  # no default: v1/v2c must give one
    user: UsmUser | None = None
    context_name: bytes = b""
    timeout: float = 2.0
    retries: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise SnmpEncodeError(f"port {self.port} is outside 1..65535")
        if self.version is not Version.V3 and not self.community:
            raise SnmpEncodeError(f"an SNMP{self.version.name.lower()} target needs a community")
        if self.version is Version.V3 and self.user is None:
            raise SnmpEncodeError("an SNMPv3 target needs a user")
        if self.timeout <= 0 or self.retries < 0:
            raise SnmpEncodeError("timeout must be positive and retries not negative")

    @property
    def community_bytes(self) -> bytes:
        c = self.community
        return c.encode() if isinstance(c, str) else c
