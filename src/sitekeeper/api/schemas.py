"""The API's request and response bodies, in families per resource (`DevicePublic`,
`DeviceDetail`, `UserCreate`, `UserUpdate` ...), and `Page[T]` for every list.

Times are epoch seconds. What is never here: password hashes, token secrets or hashes
(except the one `TokenCreated` answer), a device's credentials reference or the raw
inventory entry, and check specs' headers, bodies or URLs (they may carry secrets).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from sitekeeper.auth.principal import Role
from sitekeeper.inventory.kinds import System
from sitekeeper.state.model import CheckStatus, DeviceStatus, StateType

T = TypeVar("T")

Value = float | int | str | bool
# Free text the caller sends: PostgreSQL text cannot hold NUL, so it is refused up front.
Text = Annotated[str, Field(pattern=r"^[^\x00]*$")]
ClientKey = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", max_length=63)]
TokenScope = Literal["read", "write"]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- common ----------------------------------------------------------------------------


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable, machine-readable: not_found, forbidden, ...")
    message: str
    details: list[dict[str, Any]] | None = Field(
        default=None, description="Per-problem details (e.g. every problem in an inventory)."
    )


class ErrorBody(BaseModel):
    """Every failure has this body."""

    error: ErrorInfo


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="Items matching the filters, over all pages.")
    limit: int
    offset: int


class ClientRef(Out):
    id: int
    key: str
    name: str


class DeviceRef(Out):
    id: int
    key: str
    name: str
    status: DeviceStatus


# -- me --------------------------------------------------------------------------------


class TokenInfo(Out):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    expires_at: float | None


class MePublic(Out):
    id: int
    email: str
    name: str
    role: Role
    via: Literal["token", "session"]
    can_write: bool
    all_clients: bool = Field(description="True for admins: every client, present and future.")
    clients: list[ClientRef] = Field(description="The clients this caller may see.")
    token: TokenInfo | None = Field(description="The token used for this request, if any.")


# -- clients and sites -----------------------------------------------------------------


class ClientPublic(Out):
    id: int
    key: str
    name: str
    contact: str | None
    site_count: int = Field(description="Active sites.")
    device_count: int = Field(description="Active devices.")
    created_at: float
    updated_at: float


class SitePublic(Out):
    id: int
    client_id: int
    client: str
    key: str
    name: str
    address: str | None
    timezone: str
    device_count: int = Field(description="Active devices.")


class ClientDetail(ClientPublic):
    devices_by_status: dict[str, int]
    sites: list[SitePublic]


class SiteDetail(SitePublic):
    devices_by_status: dict[str, int]


# -- devices and checks ----------------------------------------------------------------


class CheckPublic(Out):
    id: int
    client_id: int
    device_id: int
    device: str = Field(description="The device's key.")
    name: str
    type: str
    target: str = Field(description="address, or address:port")
    interval: float
    status: CheckStatus
    hard_status: CheckStatus
    state_type: StateType
    attempt: int
    max_attempts: int
    flapping: bool
    stale: bool = Field(description="No result for well over its interval.")
    since: float | None
    last_result_at: float | None
    latency_ms: float | None
    reason: str | None
    values: dict[str, Value]


class ThresholdPublic(Out):
    value: str
    warn_above: float | None
    crit_above: float | None
    warn_below: float | None
    crit_below: float | None


class CheckDetail(CheckPublic):
    timeout: float
    retry_interval: float
    thresholds: list[ThresholdPublic]
    recent: str = Field(description="Recent statuses, oldest first, one letter each (O/W/C/U).")
    ping_url: str | None = Field(
        default=None,
        description="A heartbeat check's ping URL (its token is the job's only credential).",
    )


class DevicePublic(Out):
    id: int
    client_id: int
    client: str
    site_id: int
    site: str
    key: str
    name: str
    kind: str
    system: str
    address: str
    vendor: str | None
    model: str | None
    serial: str | None
    firmware: str | None
    installed: date | None
    warranty_end: date | None
    criticality: int
    tags: list[str]
    depends_on: list[str] = Field(description="Keys of the devices this one needs.")
    has_credentials: bool = Field(description="A credentials reference is set (never shown).")
    status: DeviceStatus
    since: float | None
    reason: str | None
    problem: bool
    created_at: float
    updated_at: float


class DeviceDetail(DevicePublic):
    checks: list[CheckPublic]
    parents: list[DeviceRef] = Field(description="The devices named in depends_on.")
    dependents: list[DeviceRef] = Field(description="Devices that depend on this one.")


# -- history ---------------------------------------------------------------------------


class AvailabilityPoint(BaseModel):
    t: float = Field(description="Start of the bucket, epoch seconds.")
    count: int
    ok: int
    warn: int
    crit: int
    unknown: int
    availability: float | None = Field(
        description="Share of results that answered (OK or WARN) among those that could tell "
        "(UNKNOWN excluded); null when there were none."
    )


class HistoryPoint(AvailabilityPoint):
    latency_avg_ms: float | None
    latency_min_ms: float | None
    latency_max_ms: float | None


class CheckHistory(BaseModel):
    check_id: int
    range: str = Field(description="1h, 6h, 1d, 7d, 30d, or custom (since/until).")
    since: float
    until: float
    bucket_s: int
    points: list[HistoryPoint]


class DeviceHistory(BaseModel):
    device_id: int
    range: str
    since: float
    until: float
    bucket_s: int
    points: list[AvailabilityPoint]


# -- flips and overview ----------------------------------------------------------------


class FlipPublic(BaseModel):
    id: int
    at: float
    client_id: int
    client: str
    subject: Literal["check", "device"]
    subject_id: int
    device_id: int | None
    device: str | None = Field(description="The device's key.")
    check_id: int | None
    check: str | None = Field(description="The check's name (check flips).")
    old: str
    new: str
    hard: bool
    reason: str


class SystemCounts(BaseModel):
    system: System
    total: int
    by_status: dict[str, int]


class ProblemDevice(BaseModel):
    id: int
    client_id: int
    client: str
    site: str
    key: str
    name: str
    kind: str
    system: str
    criticality: int
    status: DeviceStatus
    since: float | None
    reason: str | None
    failing_checks: list[CheckPublic]


class Overview(BaseModel):
    at: float = Field(description="When this summary was made.")
    last_result_at: float | None
    clients: int
    sites: int
    devices: int
    checks: int
    devices_by_status: dict[str, int] = Field(description="Every device status, zeros included.")
    systems: list[SystemCounts]
    problems_total: int
    problems: list[ProblemDevice] = Field(description="Problems first; at most 200.")


# -- inventory and run-now -------------------------------------------------------------


class CheckCounts(BaseModel):
    added: int
    changed: int
    retired: int


class ApplyResult(BaseModel):
    dry_run: bool
    changed_anything: bool
    added: list[str]
    changed: list[str]
    retired: list[str]
    unchanged: int
    checks: CheckCounts
    inventory_version: int


class RunResult(BaseModel):
    check_id: int
    device_id: int
    device: str
    check: str
    type: str
    target: str
    at: float
    ok: bool | None
    status: CheckStatus
    reason: str
    latency_ms: float | None
    values: dict[str, Value]
    error: str | None
    log: list[str] = Field(description="The probe's own log lines, step by step.")


# -- tokens ----------------------------------------------------------------------------


def _read_scope() -> list[TokenScope]:
    return ["read"]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=100)
    scopes: list[TokenScope] = Field(default_factory=_read_scope, max_length=2)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenPublic(Out):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: float
    last_used_at: float | None
    expires_at: float | None
    revoked_at: float | None
    active: bool


class TokenCreated(TokenPublic):
    token: str = Field(description="Shown once; only a hash is kept.")


# -- users -----------------------------------------------------------------------------


class UserPublic(Out):
    id: int
    email: str
    name: str
    role: Role
    client: str | None = Field(description="For client users: their client's key.")
    clients: list[str] = Field(description="For technicians: the assigned clients' keys.")
    has_password: bool
    created_at: float
    last_login_at: float | None
    disabled: bool
    disabled_at: float | None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Text = Field(min_length=3, max_length=254)
    name: Text = Field(default="", max_length=200)
    role: Role
    client: ClientKey | None = Field(default=None, description="Required for role client.")
    clients: list[ClientKey] = Field(default_factory=list, max_length=1000)
    password: Text | None = Field(default=None, min_length=12, max_length=1024)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text | None = Field(default=None, max_length=200)
    role: Role | None = None
    client: ClientKey | None = None
    clients: list[ClientKey] | None = Field(default=None, max_length=1000)
    disabled: bool | None = None
