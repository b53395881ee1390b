"""What the running system needs to know about checks, read from the store in one go:
each active check's spec, target, device and client. Rebuilt when the inventory changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from sitekeeper.checks.build import SPEC_ADAPTER
from sitekeeper.checks.specs import CheckSpec
from sitekeeper.db import models as m


@dataclass(frozen=True, slots=True)
class CheckInfo:
    id: int
    client_id: int
    device_id: int
    device_key: str
    client_key: str
    name: str
    address: str
    port: int | None
    spec: CheckSpec
    # resolved from the device's credentials reference; never logged (repr=False)
    credentials: Mapping[str, str] | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return f"{self.device_key}/{self.name}"


@dataclass(frozen=True)
class Catalog:
    checks: dict[int, CheckInfo]
    device_checks: dict[int, list[int]]  # device id -> its active check ids
    device_client: dict[int, int]

    @property
    def device_ids(self) -> list[int]:
        return list(self.device_checks)

    def device_label(self, device_id: int) -> str:
        """`client/device`, for messages."""
        for check_id in self.device_checks.get(device_id, []):
            info = self.checks[check_id]
            return f"{info.client_key}/{info.device_key}"
        return f"device {device_id}"


def load_catalog(
    session: Session,
    client_keys: list[str] | None = None,
    credentials: Mapping[str, Mapping[str, str]] | None = None,
) -> Catalog:
    """Active checks with their targets; `credentials` (name -> values) resolves each
    device's credentials reference."""
    stmt = (
        select(m.Check, m.Device, m.Client.key)
        .join(m.Device, m.Check.device_id == m.Device.id)
        .join(m.Client, m.Device.client_id == m.Client.id)
        .where(m.Check.retired_at.is_(None), m.Device.retired_at.is_(None))
        .order_by(m.Check.id)
    )
    if client_keys:
        stmt = stmt.where(m.Client.key.in_(client_keys))
    checks: dict[int, CheckInfo] = {}
    device_checks: dict[int, list[int]] = {}
    device_client: dict[int, int] = {}
    for check, device, client_key in session.execute(stmt):
        spec = SPEC_ADAPTER.validate_python(check.spec)
        checks[check.id] = CheckInfo(
            id=check.id,
            client_id=check.client_id,
            device_id=device.id,
            device_key=device.key,
            client_key=client_key,
            name=check.name,
            address=device.address,
            port=check.port,
            spec=spec,
            credentials=(credentials or {}).get(spec.credentials or device.credentials_ref or ""),
        )
        device_checks.setdefault(device.id, []).append(check.id)
        device_client[device.id] = device.client_id
    return Catalog(checks=checks, device_checks=device_checks, device_client=device_client)
