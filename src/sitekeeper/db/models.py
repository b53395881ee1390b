"""Tables. Every client-scoped table carries `client_id`: it is the tenant scope and the
distribution key should the schema ever be sharded by client.

Times are epoch seconds (double precision) on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from sitekeeper.db.base import Base

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(200))
    # The `defaults:` of the file this client was last applied from (exported with it).
    defaults: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notify: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )  # routes, escalation, storm
    maintenance: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )  # maintenance windows
    service: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )  # the service plan, downtime cost and rate card (inventory `service:`)
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class Site(Base):
    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    retired_at: Mapped[float | None] = mapped_column(Double)


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    system: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(255))
    vendor: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    serial: Mapped[str | None] = mapped_column(String(100))
    firmware: Mapped[str | None] = mapped_column(String(100))
    installed: Mapped[date | None] = mapped_column(Date)
    warranty_end: Mapped[date | None] = mapped_column(Date)
    criticality: Mapped[int] = mapped_column(SmallInteger, default=3)
    depends_on: Mapped[list[str]] = mapped_column(JSON, default=list)
    depends_mode: Mapped[str] = mapped_column(String(8), default="all", server_default="all")
    presence: Mapped[str] = mapped_column(String(200), default="always", server_default="always")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    credentials_ref: Mapped[str | None] = mapped_column(String(128))
    entry: Mapped[dict[str, Any]] = mapped_column(JSON)  # the inventory entry as applied
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)
    retired_at: Mapped[float | None] = mapped_column(Double)


class Check(Base):
    __tablename__ = "checks"
    __table_args__ = (UniqueConstraint("device_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(63))
    type: Mapped[str] = mapped_column(String(20))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)  # resolved spec (defaults applied)
    port: Mapped[int | None] = mapped_column(Integer)
    interval: Mapped[float] = mapped_column(Double)
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)
    retired_at: Mapped[float | None] = mapped_column(Double)


class CheckState(Base):
    """The engine's memory of a check, plus the latest observation for display."""

    __tablename__ = "check_states"

    check_id: Mapped[int] = mapped_column(
        ForeignKey("checks.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(8))
    state_type: Mapped[str] = mapped_column(String(4))
    attempt: Mapped[int] = mapped_column(SmallInteger)
    hard_status: Mapped[str] = mapped_column(String(8))
    since: Mapped[float] = mapped_column(Double)
    hard_since: Mapped[float] = mapped_column(Double)
    last_result_at: Mapped[float] = mapped_column(Double)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    percent_change: Mapped[float] = mapped_column(Double, default=0.0)
    history: Mapped[str] = mapped_column(String(32), default="")  # one letter per status
    # recent latencies (ms) of answered results: the baseline (state.baseline)
    baseline: Mapped[list[float]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    reason: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[float | None] = mapped_column(Double)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class DeviceState(Base):
    __tablename__ = "device_states"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    since: Mapped[float] = mapped_column(Double)
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Double)


class Result(Base):
    """Raw observations not yet packed: the open hour (and any late arrival) as plain rows,
    so appending one is a cheap insert. The retention pass packs each complete hour into
    `results_packed` (see results.packing)."""

    __tablename__ = "results"
    # One index: what a chart of the open hour reads. The retention pass scans this small
    # table whole (an hour or two of results), so it needs no index on time alone.
    __table_args__ = (Index("ix_results_check_at", "check_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_id: Mapped[int] = mapped_column(Integer)
    check_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[float] = mapped_column(Double)
    status: Mapped[str] = mapped_column(String(8))
    latency_ms: Mapped[float | None] = mapped_column(Double)
    values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class PackedResults(Base):
    """One complete hour of one check's raw results in one compact blob (results.packing),
    kept for the raw retention period. An ordinary (rowid) table on SQLite: a blob of about a
    kilobyte would spill into overflow pages in a WITHOUT ROWID table, whose rows must fit
    about a quarter of a page, while the key's index costs a few bytes per hour."""

    __tablename__ = "results_packed"

    check_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hour: Mapped[float] = mapped_column(Double, primary_key=True)
    client_id: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Rollup(Base):
    """One hour of one check: counts by status and latency summary. Keyed (check, hour)
    without a rowid on SQLite: a year of them is most of the database."""

    __tablename__ = "rollups_hourly"
    __table_args__ = ({"sqlite_with_rowid": False},)

    check_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hour: Mapped[float] = mapped_column(Double, primary_key=True)
    client_id: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    ok_count: Mapped[int] = mapped_column(Integer)
    warn_count: Mapped[int] = mapped_column(Integer)
    crit_count: Mapped[int] = mapped_column(Integer)
    unknown_count: Mapped[int] = mapped_column(Integer)
    latency_count: Mapped[int] = mapped_column(Integer)
    latency_sum: Mapped[float | None] = mapped_column(Double)
    latency_min: Mapped[float | None] = mapped_column(Double)
    latency_max: Mapped[float | None] = mapped_column(Double)


class Flip(Base):
    """A status transition. Unprocessed flips are claimed by a worker with compare-and-set."""

    __tablename__ = "flips"
    __table_args__ = (
        Index(
            "ix_flips_unprocessed",
            "id",
            postgresql_where=text("processed_at IS NULL"),
            sqlite_where=text("processed_at IS NULL"),
        ),
        Index("ix_flips_subject", "subject", "subject_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_id: Mapped[int] = mapped_column(Integer, index=True)
    subject: Mapped[str] = mapped_column(String(10))  # "check" or "device"
    subject_id: Mapped[int] = mapped_column(Integer)
    old: Mapped[str] = mapped_column(String(12))
    new: Mapped[str] = mapped_column(String(12))
    hard: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[float] = mapped_column(Double)
    processed_at: Mapped[float | None] = mapped_column(Double)


class Collector(Base):
    """Each collector's high-water mark: results carry (collector_id, seq) and a batch seen
    before is not applied twice."""

    __tablename__ = "collectors"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_seen: Mapped[float | None] = mapped_column(Double)  # its newest result delivered


class Meta(Base):
    """Small key/value facts: inventory version, rollup watermark."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Audit(Base):
    """Every change leaves a record: who, what, when."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Double, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    client_id: Mapped[int | None] = mapped_column(Integer, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


# --- services, incidents, correlation ------------------------------------------------------


class Service(Base):
    """A user-facing capability declared in the inventory ("Boardroom video calls")."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(200))
    criticality: Mapped[int] = mapped_column(SmallInteger, default=3)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)  # device keys
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)
    retired_at: Mapped[float | None] = mapped_column(Double)


class Incident(Base):
    """One root cause: the failed device, what is cut off behind it, what it impacts."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_open", "client_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    root_device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    opened_at: Mapped[float] = mapped_column(Double, index=True)
    resolved_at: Mapped[float | None] = mapped_column(Double)
    back_since: Mapped[float | None] = mapped_column(Double)
    severity: Mapped[int] = mapped_column(SmallInteger)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    members: Mapped[list[int]] = mapped_column(JSON, default=list)  # unreachable device ids
    services: Mapped[list[str]] = mapped_column(JSON, default=list)  # impacted service keys
    title: Mapped[str] = mapped_column(Text)
    acked_at: Mapped[float | None] = mapped_column(Double)
    acked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    silenced_by: Mapped[str | None] = mapped_column(String(200))  # maintenance window, if any


class IncidentEvent(Base):
    """The incident's timeline: opened, updated, notified, suppressed, acked, comment, resolved."""

    __tablename__ = "incident_events"
    __table_args__ = (Index("ix_incident_events_incident", "incident_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[float] = mapped_column(Double)
    kind: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(120), default="sitekeeper")
    text: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DeviceEffective(Base):
    """What correlation makes of a device: DOWN (a root cause), UNREACHABLE (cut off behind
    one), ASLEEP, MAINTENANCE ... and the correlator's memory, so a restart resumes it."""

    __tablename__ = "device_effective"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))  # effective status
    reason: Mapped[str] = mapped_column(Text, default="")
    raw_status: Mapped[str] = mapped_column(String(12))
    suspect: Mapped[bool] = mapped_column(Boolean, default=False)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    down_since: Mapped[float | None] = mapped_column(Double)
    candidate_since: Mapped[float | None] = mapped_column(Double)
    hold_until: Mapped[float | None] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class DeviceSummary(Base):
    """What the overview shows of a device, kept by `results.summary`: its shown status and
    whether it is a problem, with what the overview sorts and groups by. Rewritten for the
    devices a correlation tick touched, and for all of them by a periodic sweep (staleness
    comes with time, not with a write)."""

    __tablename__ = "device_summary"
    __table_args__ = (
        # covering: the overview counts per client and per system stream from these in order
        Index("ix_device_summary_client", "client_id", "status", "problem"),
        Index("ix_device_summary_system", "system", "status", "problem"),
        # the problem devices alone (a few percent of them), in what the overview picks its
        # first problems by: it reads these instead of scanning every device's row
        Index(
            "ix_device_summary_problems",
            "status",
            "criticality",
            "client_id",
            "system",
            "key",
            sqlite_where=text("problem = 1"),
            postgresql_where=text("problem"),
        ),
    )

    device_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    system: Mapped[str] = mapped_column(String(20))
    criticality: Mapped[int] = mapped_column(SmallInteger)
    key: Mapped[str] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(12))  # the shown status
    problem: Mapped[bool] = mapped_column(Boolean)


class SummaryCount(Base):
    """Devices of one client, system and shown status, and how many of them are problems:
    the device summary counted, kept with it by `results.summary` (a few rows per client),
    so the overview reads its counts instead of counting every device per request."""

    __tablename__ = "summary_counts"
    __table_args__ = (
        # covering: the overview's counts per system stream from it (the key serves those
        # per client)
        Index("ix_summary_counts_system", "system", "status", "devices", "problems"),
    )

    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    system: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(12), primary_key=True)
    devices: Mapped[int] = mapped_column(Integer)
    problems: Mapped[int] = mapped_column(Integer)


class Credential(Base):
    """Device credentials (SNMP communities and v3 keys, passwords), named so inventories can
    refer to them (`credentials: NAME`). The values are stored encrypted (sitekeeper.secrets),
    never logged, never returned by the API."""

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # snmp, password
    data_enc: Mapped[str] = mapped_column(Text)  # encrypted JSON of the fields
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class User(Base):
    """A person who signs in. Roles: admin (the whole MSP), technician (assigned clients),
    client (read-only, one client). No default users: the first admin comes from a one-time
    setup token or `sitekeeper user create --admin`."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )  # for role=client: their client
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[float] = mapped_column(Double)
    last_login_at: Mapped[float | None] = mapped_column(Double)
    disabled_at: Mapped[float | None] = mapped_column(Double)


class UserClient(Base):
    """Which clients a technician is assigned to."""

    __tablename__ = "user_clients"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ApiToken(Base):
    """A bearer token for scripts: only a hash is kept; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # shown in lists, used to look up
    token_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex of the whole token
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)  # "read", "write"
    created_at: Mapped[float] = mapped_column(Double)
    last_used_at: Mapped[float | None] = mapped_column(Double)
    expires_at: Mapped[float | None] = mapped_column(Double)
    revoked_at: Mapped[float | None] = mapped_column(Double)


class WebSession(Base):
    """A browser session: the cookie carries a random id; only its hash is stored."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double, index=True)
    last_seen_at: Mapped[float] = mapped_column(Double)


# --- notifications: channels and the outbox (sitekeeper.notify) ---------------------------


class Channel(Base):
    """Where notifications go: an apprise URL or a signed webhook. The target and the signing
    secret are encrypted at rest (sitekeeper.secrets); `target_hint` is the redacted form that
    lists show. A permanent delivery failure disables the channel and says why."""

    __tablename__ = "channels"
    __table_args__ = (
        UniqueConstraint("client_id", "name"),
        # NULLs are distinct in a unique constraint, so MSP-wide names need their own index.
        Index(
            "uq_channels_msp_name",
            "name",
            unique=True,
            postgresql_where=text("client_id IS NULL"),
            sqlite_where=text("client_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )  # None: MSP-wide
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # a key of notify.NOTIFIERS
    target_enc: Mapped[str] = mapped_column(Text)  # the apprise or webhook URL, encrypted
    secret_enc: Mapped[str | None] = mapped_column(Text)  # webhook signing secret, encrypted
    target_hint: Mapped[str] = mapped_column(String(200))  # redacted, e.g. "Slack · …"
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[float] = mapped_column(Double)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[float | None] = mapped_column(Double)
    disabled_reason: Mapped[str | None] = mapped_column(Text)  # why it is not enabled
    last_sent_at: Mapped[float | None] = mapped_column(Double)


class OutboxItem(Base):
    """One notification to one channel. Written in the same transaction as the change it
    reports; a worker claims due rows with compare-and-set and records each attempt before
    the I/O. States: pending -> sending -> sent | pending (retry) | failed."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_due",
            "next_attempt_at",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
        Index(
            "ix_outbox_sending",
            "claimed_at",
            postgresql_where=text("state = 'sending'"),
            sqlite_where=text("state = 'sending'"),
        ),
        Index("ix_outbox_channel_incident", "channel_id", "incident_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_id: Mapped[int | None] = mapped_column(Integer, index=True)
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL")
    )  # None once the channel is removed (the row stays as history)
    incident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(12))  # opened, resolved, escalated, digest, test
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float] = mapped_column(Double)
    claimed_at: Mapped[float | None] = mapped_column(Double)  # when the current attempt began
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Double)
    sent_at: Mapped[float | None] = mapped_column(Double)


class HeartbeatToken(Base):
    """A heartbeat check's ping token and its last ping. The token is made when the inventory
    is applied and kept for as long as the check exists (re-applies keep it), so the URL in
    the job's crontab stays valid."""

    __tablename__ = "heartbeats"

    check_id: Mapped[int] = mapped_column(
        ForeignKey("checks.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[float] = mapped_column(Double)
    pings: Mapped[int] = mapped_column(BigInteger, default=0)
    last_ping_at: Mapped[float | None] = mapped_column(Double)
    last_ping_kind: Mapped[str | None] = mapped_column(String(8))  # success, start, fail
    last_ping_source: Mapped[str | None] = mapped_column(String(64))
    last_ping_body: Mapped[str | None] = mapped_column(Text)  # at most BODY_CAP bytes


class PassiveEvent(Base):
    """The latest syslog messages and traps of a device, for its page: a few dozen per
    device, older ones pruned as new ones arrive (sitekeeper.results.passive)."""

    __tablename__ = "passive_events"
    __table_args__ = (Index("ix_passive_events_device", "device_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    at: Mapped[float] = mapped_column(Double)
    kind: Mapped[str] = mapped_column(String(8))  # syslog, trap
    source: Mapped[str] = mapped_column(String(64))
    severity: Mapped[int | None] = mapped_column(SmallInteger)  # syslog: 0 emerg ... 7 debug
    name: Mapped[str | None] = mapped_column(String(128))  # the program, or the trap's name
    text: Mapped[str] = mapped_column(Text)


class TicketHistory(Base):
    """A past support ticket: imported from a CSV (work done before sitekeeper, or under
    break-fix elsewhere). The advisor reads these with the incidents sitekeeper recorded."""

    __tablename__ = "ticket_history"
    __table_args__ = (
        UniqueConstraint("client_id", "ref"),
        Index("ix_ticket_history_client", "client_id", "opened_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(100))  # the ticket's id where it came from
    opened_at: Mapped[float] = mapped_column(Double)
    restored_at: Mapped[float | None] = mapped_column(Double)
    device_key: Mapped[str | None] = mapped_column(String(63))
    root_cause: Mapped[str | None] = mapped_column(String(200))
    impact: Mapped[float | None] = mapped_column(Double)  # share of the business affected
    labour_h: Mapped[float | None] = mapped_column(Double)
    billed: Mapped[float | None] = mapped_column(Double)
    after_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str] = mapped_column(Text, default="")
    imported_at: Mapped[float] = mapped_column(Double)
