"""Inventory as code: Client -> Site -> Device, with the checks each device gets.

These models validate one entry at a time; rules that span the file (duplicate ids,
dangling or circular `depends_on`) live in `sitekeeper.inventory.validate`.
Credentials are a *reference* (a name in the secret store), never the secret itself.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from sitekeeper.checks.duration import Duration
from sitekeeper.checks.specs import (
    CHECK_TYPES,
    DnsCheck,
    HeartbeatCheck,
    HttpCheck,
    IcmpCheck,
    MqttCheck,
    OnvifCheck,
    PjlinkCheck,
    RtspCheck,
    SnmpCheck,
    SnmpTrapCheck,
    SonosCheck,
    SyslogCheck,
    TcpCheck,
    TlsCheck,
)
from sitekeeper.incidents.schedule import ALWAYS, PresenceField
from sitekeeper.incidents.windows import MaintenanceWindow
from sitekeeper.inventory.kinds import DEFAULT_SYSTEM, DeviceKind, System

Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
KEY_HINT = "lower-case letters, digits, '-' and '_', starting with a letter or digit (max 63)"

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$"
)
_SECRETISH = re.compile(r"(?i)^(password|passwd|secret|community|token|api_key|apikey|key)$")


def check_address(value: str) -> str:
    """An IPv4/IPv6 address or a DNS name; anything else is a clear error."""
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if re.fullmatch(r"[\d.]+", value) or not _HOSTNAME.match(value):
        raise ValueError(
            f"{value!r} is not an IP address or host name (e.g. 192.0.2.10, 2001:db8::1, nvr.local)"
        )
    return value


class CheckOverride(BaseModel):
    """Turn a profile's check off by name: `{name: icmp, enabled: false}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    enabled: Annotated[bool, Field(strict=True)] = False


def _check_tag(value: Any) -> str | None:
    """Which model a `checks:` entry is: a check by its `type`, or an override (name+enabled)."""
    if isinstance(value, dict):
        kind = value.get("type")
        if isinstance(kind, str):
            return kind
        if set(value) <= {"name", "enabled"}:
            return "override"
        return None
    return str(getattr(value, "type", "override"))


CheckEntry = Annotated[
    Annotated[IcmpCheck, Tag("icmp")]
    | Annotated[TcpCheck, Tag("tcp")]
    | Annotated[HttpCheck, Tag("http")]
    | Annotated[DnsCheck, Tag("dns")]
    | Annotated[TlsCheck, Tag("tls")]
    | Annotated[MqttCheck, Tag("mqtt")]
    | Annotated[PjlinkCheck, Tag("pjlink")]
    | Annotated[RtspCheck, Tag("rtsp")]
    | Annotated[SonosCheck, Tag("sonos")]
    | Annotated[OnvifCheck, Tag("onvif")]
    | Annotated[SnmpCheck, Tag("snmp")]
    | Annotated[HeartbeatCheck, Tag("heartbeat")]
    | Annotated[SyslogCheck, Tag("syslog")]
    | Annotated[SnmpTrapCheck, Tag("snmp_trap")]
    | Annotated[CheckOverride, Tag("override")],
    Discriminator(
        _check_tag,
        custom_error_type="check_type",
        custom_error_message=(
            "a check needs `type:` (one of " + ", ".join(CHECK_TYPES) + "), or only `name:` and "
            "`enabled: false` to turn a profile check off"
        ),
    ),
]


class Defaults(BaseModel):
    """Defaults for every check in the file (a check's own value wins)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interval: Duration | None = None
    retry_interval: Duration | None = None
    timeout: Duration | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=20)
    disable_checks: tuple[str, ...] = ()  # profile checks to leave out everywhere, e.g. [icmp]

    @model_validator(mode="after")
    def _timing(self) -> Defaults:
        if self.interval is not None and self.timeout is not None and self.timeout > self.interval:
            raise ValueError(
                f"timeout ({self.timeout:g}s) must not exceed interval ({self.interval:g}s): "
                "a check must never overlap itself"
            )
        return self


class Lifecycle(BaseModel):
    """What the replacement plan needs beyond `installed` and `warranty_end`; all optional.

    `end_of_support` is the vendor's last date of security updates; `replacement_cost` the
    price of a like-for-like replacement (default: a typical price for the kind);
    `replace_by` the planner's own decision, which overrides the model's suggested year;
    `usage_hours_per_year` turns lamp hours into calendar time (projectors);
    `ambient_c` the room temperature, which shortens UPS battery life above 25 °C.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    end_of_support: date | None = None
    replacement_cost: float | None = Field(default=None, ge=0)
    replace_by: date | None = None
    usage_hours_per_year: float | None = Field(default=None, gt=0, le=8784)
    ambient_c: float | None = Field(default=None, ge=-20, le=60)
    note: str | None = Field(default=None, max_length=500)


class Device(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Key
    kind: DeviceKind
    address: str
    name: str | None = None
    system: System | None = None  # default: from the kind
    vendor: str | None = None
    model: str | None = None
    serial: str | None = None
    firmware: str | None = None
    installed: date | None = None
    warranty_end: date | None = None
    lifecycle: Lifecycle = Lifecycle()
    criticality: int = Field(default=3, ge=1, le=5)
    depends_on: tuple[Key, ...] = ()
    # "all": it needs every device in depends_on; "any": one is enough (redundant uplinks)
    depends_mode: Literal["all", "any"] = "all"
    # "always", "sleepy" (drops off the network by design: never an outage), or when it is
    # expected, e.g. "mon-fri 08:00-18:00" in the site's time zone
    presence: PresenceField = ALWAYS
    tags: tuple[str, ...] = ()
    credentials: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:/-]{1,128}$")
    ports: dict[str, Annotated[int, Field(ge=1, le=65535)]] = Field(default_factory=dict)
    profile_checks: bool = True  # include the kind's default checks
    checks: tuple[CheckEntry, ...] = ()
    notes: str | None = None

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        return check_address(value)

    @model_validator(mode="before")
    @classmethod
    def _no_inline_secrets(cls, data: object) -> object:
        if isinstance(data, dict):
            for k in data:
                if isinstance(k, str) and _SECRETISH.match(k):
                    raise ValueError(
                        f"`{k}` looks like a secret written inline; put it in the secret store "
                        "and refer to it with `credentials: <name>`"
                    )
        return data

    @model_validator(mode="after")
    def _dates(self) -> Device:
        if self.installed and self.warranty_end and self.warranty_end < self.installed:
            raise ValueError("warranty_end is before installed")
        if self.id in self.depends_on:
            raise ValueError(f"device {self.id!r} cannot depend on itself")
        return self

    @property
    def effective_system(self) -> System:
        return self.system or DEFAULT_SYSTEM[self.kind]


class Service(BaseModel):
    """A user-facing capability, in the client's words: impacted when any device it needs is
    down or cut off. E.g. "Boardroom video calls" needs the codec, the display, the switch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Key
    name: str | None = None
    criticality: int = Field(default=3, ge=1, le=5)
    needs: tuple[Key, ...] = Field(min_length=1)  # device ids of this client


class Site(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Key
    name: str | None = None
    address: str | None = None  # postal address, free text
    timezone: str = "UTC"
    devices: tuple[Device, ...] = ()
    services: tuple[Service, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a time zone; use an IANA name like Europe/London or America/New_York"
            ) from None
        return value


class Route(BaseModel):
    """Send this client's incidents to a channel (`sitekeeper channel add ...`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: str = Field(min_length=1, max_length=100)
    min_severity: int = Field(default=1, ge=1, le=5)  # only incidents at least this severe


class Escalate(BaseModel):
    """Not acknowledged within `after`: tell these channels too."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    after: Duration
    channels: tuple[str, ...] = Field(min_length=1)


class Storm(BaseModel):
    """Beyond `max_pages` in `window`, send one digest per window instead of a page each."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_pages: int = Field(default=5, ge=1, le=1000)
    window: Duration = 600.0


class Notify(BaseModel):
    """Where a client's incidents go. Without routes: every channel of the client and every
    MSP-wide channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    routes: tuple[Route, ...] = ()
    escalate: Escalate | None = None
    storm: Storm = Storm()


# The advisor's device classes (sitekeeper.plan.profiles), which a rate card prices; a test
# keeps the two lists equal.
AdvisorClass = Literal[
    "workstation",
    "server",
    "nas",
    "nvr",
    "switch",
    "router",
    "ap",
    "ups",
    "camera",
    "display",
    "av_control",
    "audio",
    "lighting",
    "projector",
]


class RateCard(BaseModel):
    """What the integrator charges: break-fix labour and the managed fee. Every field is
    optional; unset fields take the advisor's defaults (docs/advisor.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    bf_rate: float | None = Field(default=None, ge=0)  # break-fix labour per hour
    after_hours_multiplier: float | None = Field(default=None, ge=1, le=5)
    emergency_multiplier: float | None = Field(default=None, ge=1, le=5)
    trip_charge: float | None = Field(default=None, ge=0)
    minimum_hours: float | None = Field(default=None, ge=0, le=24)
    project_rate: float | None = Field(default=None, ge=0)  # planned work under managed
    site_fee: float | None = Field(default=None, ge=0)  # managed, per site per month
    # managed fee per device per month, by advisor class (workstation, server, switch, ...)
    device_fees: dict[AdvisorClass, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)


class ServicePlan(BaseModel):
    """How the client is served today and what an hour of downtime costs them.

    `downtime_cost` is stated per hour of the whole site down; without it, the advisor
    estimates it bottom-up from `employees` × `loaded_cost` × `productivity_loss` plus
    `revenue_per_hour` × `revenue_lost_share`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    plan: Literal["managed", "break-fix", "hybrid"] = "managed"
    since: date | None = None
    downtime_cost: float | None = Field(default=None, ge=0)
    employees: int | None = Field(default=None, ge=0, le=1_000_000)
    loaded_cost: float | None = Field(default=None, ge=0)  # per employee-hour
    productivity_loss: float | None = Field(default=None, ge=0, le=1)
    revenue_per_hour: float | None = Field(default=None, ge=0)
    revenue_lost_share: float | None = Field(default=None, ge=0, le=1)
    users: int | None = Field(default=None, ge=1, le=1_000_000)  # for tickets per user
    hours: Literal["office", "24x7"] | None = None
    tolerance_hours: float | None = Field(default=None, ge=0, le=8784)
    rate_card: RateCard = RateCard()


class Client(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Key
    name: str | None = None
    contact: str | None = None
    sites: tuple[Site, ...] = ()
    notify: Notify = Notify()
    maintenance: tuple[MaintenanceWindow, ...] = ()
    service: ServicePlan = ServicePlan()

    @model_validator(mode="before")
    @classmethod
    def _own_windows(cls, data: object) -> object:
        """A client's windows belong to it: fill in `client` before they are validated."""
        if isinstance(data, dict) and isinstance(data.get("maintenance"), list):
            cid = data.get("id")
            data = {
                **data,
                "maintenance": [
                    {**w, "client": cid} if isinstance(w, dict) else w for w in data["maintenance"]
                ],
            }
        return data


class Inventory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(default=1, ge=1, le=1)
    defaults: Defaults = Defaults()
    clients: tuple[Client, ...] = ()
