"""The `snmp` check: which metric tables to read from a device's SNMP agent, and how to
judge them. The tables themselves live in `sitekeeper.checks.snmp`.

The community or SNMPv3 user is never written here: the check uses the device's
`credentials:` (kind `snmp`, see `sitekeeper credentials set NAME --kind snmp`) or its own
`credentials:` name. There is no default community.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sitekeeper.checks.base import BaseCheck
from sitekeeper.checks.duration import Duration

TableName = Literal["system", "interfaces", "host", "ups", "printer", "entity_sensor"]
TABLE_NAMES: tuple[TableName, ...] = (
    "system",
    "interfaces",
    "host",
    "ups",
    "printer",
    "entity_sensor",
)
VALUE_NAME = r"^[a-z][a-z0-9_.]{0,62}$"


class SnmpInterfaces(BaseModel):
    """Which ports must be up, and when traffic or errors are a problem."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # ifIndex numbers, or names as the device shows them (ifName, ifDescr or ifAlias)
    expect_up: tuple[int | str, ...] = ()
    # every port that is administratively up must be operationally up too
    all_admin_up: bool = False
    util_warn_pct: float | None = Field(default=None, gt=0, le=100)
    util_crit_pct: float | None = Field(default=None, gt=0, le=100)
    errors_warn_ps: float | None = Field(default=None, gt=0)

    @field_validator("expect_up")
    @classmethod
    def _ports(cls, ports: tuple[int | str, ...]) -> tuple[int | str, ...]:
        for port in ports:
            if isinstance(port, int) and port < 1:
                raise ValueError(f"ifIndex {port} is not a port: they start at 1")
            if isinstance(port, str) and not port.strip():
                raise ValueError("an empty port name; give an ifIndex (7) or a name (Gi1/0/7)")
        return ports


class SnmpOid(BaseModel):
    """One extra object to GET, e.g. `{name: temp_c, oid: 1.3.6.1.4.1.9.9.13.1.3.1.3.1,
    warn_above: 45}`. Numbers stay numbers (times `scale`); strings stay text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=VALUE_NAME)
    oid: str
    scale: float = 1.0
    warn_above: float | None = None
    crit_above: float | None = None
    warn_below: float | None = None
    crit_below: float | None = None
    say: str | None = Field(default=None, min_length=1, max_length=80)

    @field_validator("oid")
    @classmethod
    def _oid(cls, oid: str) -> str:
        from sitekeeper.protocols.snmp.values import format_oid, parse_oid

        try:
            return format_oid(parse_oid(oid.strip()))
        except ValueError as err:
            raise ValueError(f"{err}; write OIDs numerically, e.g. 1.3.6.1.2.1.1.5.0") from None

    @property
    def judged(self) -> bool:
        bounds = (self.warn_above, self.crit_above, self.warn_below, self.crit_below)
        return any(b is not None for b in bounds)


class SnmpCheck(BaseCheck):
    """Read metric tables (SNMPv2-MIB, IF-MIB, HOST-RESOURCES, UPS-MIB, Printer-MIB,
    ENTITY-SENSOR) and extra OIDs from the device's agent. See docs/snmp-checks.md for
    every value each table gives and the thresholds they imply."""

    type: Literal["snmp"] = "snmp"
    tables: tuple[TableName, ...] = ("system", "interfaces")
    port: int | None = Field(default=None, ge=1, le=65535)
    port_name: str | None = "snmp"
    interfaces: SnmpInterfaces = SnmpInterfaces()
    oids: tuple[SnmpOid, ...] = Field(default=(), max_length=64)
    # per request: each attempt waits `request_timeout` (default: fits the check's timeout)
    request_timeout: Duration | None = None
    retries: int = Field(default=1, ge=0, le=5)
    max_repetitions: int = Field(default=25, ge=1, le=100)  # GETBULK rows per request
    # UPS battery charge bounds (implicit thresholds on charge_pct)
    charge_warn_pct: float | None = Field(default=50.0, ge=0, le=100)
    charge_crit_pct: float | None = Field(default=25.0, ge=0, le=100)
    # printer supplies at or below this are low (implicit WARN on supply_min_pct)
    supply_warn_pct: float | None = Field(default=10.0, ge=0, le=100)

    @model_validator(mode="after")
    def _consistent(self) -> SnmpCheck:
        if not self.tables and not self.oids:
            raise ValueError(f"give `tables:` (some of {', '.join(TABLE_NAMES)}) or `oids:`")
        if len(set(self.tables)) != len(self.tables):
            raise ValueError("a table is listed twice in `tables:`")
        ports_judged = self.interfaces != SnmpInterfaces()
        if ports_judged and "interfaces" not in self.tables:
            raise ValueError("`interfaces:` options need `interfaces` in `tables:`")
        names = [o.name for o in self.oids]
        if len(set(names)) != len(names):
            raise ValueError("two `oids:` entries have the same name")
        if self.request_timeout is not None and self.request_timeout > self.timeout:
            raise ValueError("request_timeout must not exceed the check's timeout")
        return self

    @property
    def attempt_timeout(self) -> float:
        """Seconds one attempt of one request waits: given, or a share of the timeout that
        leaves room for a few requests in a row (a GET, then the walks)."""
        if self.request_timeout is not None:
            return self.request_timeout
        return max(0.2, min(2.0, self.timeout / (2 * (self.retries + 1))))
