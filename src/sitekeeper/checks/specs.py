"""Check specifications: one pydantic model per probe type, joined in a discriminated union.

A spec says *what* to observe and *how to judge it*; a probe (sitekeeper.probes) does the
observing. Adding a protocol = a spec class here, a module in probes/, one registry line.
Ports may be given by number, or left to the device's named ports / the well-known default.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sitekeeper.checks.base import DEFAULT_PORTS, BaseCheck, Threshold, check_regex
from sitekeeper.checks.duration import Duration
from sitekeeper.checks.specs_devices import (
    MqttCheck,
    OnvifCheck,
    PjlinkCheck,
    RtspCheck,
    SonosCheck,
)
from sitekeeper.checks.specs_passive import HeartbeatCheck, SnmpTrapCheck, SyslogCheck
from sitekeeper.checks.specs_snmp import SnmpCheck


class IcmpCheck(BaseCheck):
    """Echo requests; values: rtt_ms (avg), rtt_min_ms, rtt_max_ms, jitter_ms, loss_pct."""

    type: Literal["icmp"] = "icmp"
    count: int = Field(default=3, ge=1, le=20)
    packet_interval: Duration = 0.2
    payload_size: int = Field(default=56, ge=0, le=1472)
    # ok=False at or above this loss; 0 would mean "never ok", so it is not allowed.
    max_loss_pct: float = Field(default=100.0, gt=0, le=100)


class TcpCheck(BaseCheck):
    """Connect; optionally send a line and expect a reply matching a regex.
    Values: connect_ms, and banner (first bytes of the reply) when `expect` is set."""

    type: Literal["tcp"] = "tcp"
    port: int | None = Field(default=None, ge=1, le=65535)
    port_name: str | None = None
    send: str | None = None  # escapes like \r\n are honoured
    expect: str | None = None  # regex searched in what the peer sends
    tls: bool = False
    verify_tls: bool = True

    _expect_compiles = field_validator("expect")(check_regex)

    @model_validator(mode="after")
    def _port(self) -> TcpCheck:
        if self.port is None and self.port_name is None:
            raise ValueError("a tcp check needs `port` (a number) or `port_name` (e.g. rtsp)")
        return self


class HttpCheck(BaseCheck):
    """An HTTP(S) request.
    Values: http_status, latency_ms, body_bytes, json_value, tls_days_to_expiry."""

    type: Literal["http"] = "http"
    url: str | None = None  # full URL; `{address}` and `{port}` are filled in
    scheme: Literal["http", "https"] = "http"
    port: int | None = Field(default=None, ge=1, le=65535)
    port_name: str | None = None
    path: str = "/"
    method: Literal["GET", "HEAD", "POST"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    expect_status: tuple[int, ...] = ()  # default: any 2xx or 3xx
    body_contains: str | None = None
    body_regex: str | None = None
    json_field: str | None = None  # dotted path into a JSON reply, e.g. status.ok or items.0.name
    json_equals: str | int | float | bool | None = None
    verify_tls: bool = True
    follow_redirects: bool = True
    warn_latency_ms: float | None = Field(default=None, gt=0)
    crit_latency_ms: float | None = Field(default=None, gt=0)

    _body_regex_compiles = field_validator("body_regex")(check_regex)

    @model_validator(mode="after")
    def _path(self) -> HttpCheck:
        if not self.path.startswith("/"):
            raise ValueError("path must start with /")
        return self


class DnsCheck(BaseCheck):
    """Resolve `query` at the device (a DNS server) or at `server`.
    Values: answers (comma-separated), answer_count, rcode."""

    type: Literal["dns"] = "dns"
    query: str
    record_type: Literal["A", "AAAA", "CNAME", "MX", "NS", "PTR", "SRV", "TXT", "SOA"] = "A"
    server: str | None = None  # default: the device's address
    port: int | None = Field(default=None, ge=1, le=65535)
    port_name: str | None = "dns"
    protocol: Literal["udp", "tcp"] = "udp"
    expect: tuple[str, ...] = ()  # every one of these must be among the answers


class TlsCheck(BaseCheck):
    """Handshake and read the certificate. Values: days_to_expiry, verified (0/1), tls_version."""

    type: Literal["tls"] = "tls"
    port: int | None = Field(default=None, ge=1, le=65535)
    port_name: str | None = "https"
    server_name: str | None = None  # SNI; default: the device's address
    warn_days: float = 21.0
    crit_days: float = 7.0


CheckSpec = Annotated[
    IcmpCheck
    | TcpCheck
    | HttpCheck
    | DnsCheck
    | TlsCheck
    | MqttCheck
    | PjlinkCheck
    | RtspCheck
    | SonosCheck
    | OnvifCheck
    | SnmpCheck
    | HeartbeatCheck
    | SyslogCheck
    | SnmpTrapCheck,
    Field(discriminator="type"),
]

CHECK_TYPES: tuple[str, ...] = (
    "icmp",
    "tcp",
    "http",
    "dns",
    "tls",
    "mqtt",
    "pjlink",
    "rtsp",
    "sonos",
    "onvif",
    "snmp",
    "heartbeat",
    "syslog",
    "snmp_trap",
)

__all__ = [
    "CHECK_TYPES",
    "DEFAULT_PORTS",
    "BaseCheck",
    "CheckSpec",
    "DnsCheck",
    "HeartbeatCheck",
    "HttpCheck",
    "IcmpCheck",
    "MqttCheck",
    "OnvifCheck",
    "PjlinkCheck",
    "RtspCheck",
    "SnmpCheck",
    "SnmpTrapCheck",
    "SonosCheck",
    "SyslogCheck",
    "TcpCheck",
    "Threshold",
    "TlsCheck",
]
