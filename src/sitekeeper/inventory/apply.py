"""Apply a validated inventory to the store: idempotent; devices and sites that left the file
are retired (kept for history, no longer checked), not silently kept or deleted.

Clients absent from the file are left alone, so each client can have its own file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sitekeeper.checks.build import ResolvedCheck
from sitekeeper.db import models as m
from sitekeeper.inventory.models import Client as ClientModel
from sitekeeper.inventory.models import Device as DeviceModel
from sitekeeper.inventory.models import Service as ServiceModel
from sitekeeper.inventory.validate import ValidInventory
from sitekeeper.results.passive import ensure_tokens

INVENTORY_VERSION = "inventory_version"


@dataclass
class ApplyReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: int = 0
    checks_added: int = 0
    checks_changed: int = 0
    checks_retired: int = 0

    @property
    def changed_anything(self) -> bool:
        return bool(
            self.added
            or self.changed
            or self.retired
            or self.checks_added
            or self.checks_changed
            or self.checks_retired
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "changed": self.changed,
            "retired": self.retired,
            "unchanged": self.unchanged,
            "checks": {
                "added": self.checks_added,
                "changed": self.checks_changed,
                "retired": self.checks_retired,
            },
        }


def _device_fields(device: DeviceModel) -> dict[str, Any]:
    return {
        "name": device.name or device.id,
        "kind": device.kind.value,
        "system": device.effective_system.value,
        "address": device.address,
        "vendor": device.vendor,
        "model": device.model,
        "serial": device.serial,
        "firmware": device.firmware,
        "installed": device.installed,
        "warranty_end": device.warranty_end,
        "criticality": device.criticality,
        "depends_on": list(device.depends_on),
        "depends_mode": device.depends_mode,
        "presence": str(device.presence),
        "tags": list(device.tags),
        "credentials_ref": device.credentials,
        "entry": device.model_dump(mode="json", exclude_unset=True),
    }


def _check_fields(check: ResolvedCheck) -> dict[str, Any]:
    return {
        "type": check.spec.type,
        "spec": check.spec.model_dump(mode="json"),
        "port": check.port,
        "interval": check.spec.interval,
    }


def _same(row: Any, fields: dict[str, Any]) -> bool:
    for key, value in fields.items():
        current = getattr(row, key)
        if isinstance(value, dict | list):
            if json.dumps(current, sort_keys=True, default=str) != json.dumps(
                value, sort_keys=True, default=str
            ):
                return False
        elif current != value:
            return False
    return True


def apply_inventory(
    session: Session, valid: ValidInventory, now: float, actor: str = "cli", dry_run: bool = False
) -> ApplyReport:
    """Apply in the caller's transaction; with `dry_run` the caller rolls back."""
    report = ApplyReport()
    for client in valid.inventory.clients:
        _apply_client(session, client, valid, now, report)
    if report.changed_anything and not dry_run:
        bump_inventory_version(session)
        session.add(
            m.Audit(
                at=now,
                actor=actor,
                action="inventory.apply",
                client_id=None,
                detail={"source": valid.source, **report.as_dict()},
            )
        )
    session.flush()
    ensure_tokens(session, now)  # each heartbeat check's ping URL, kept across re-applies
    return report


def bump_inventory_version(session: Session) -> None:
    row = session.get(m.Meta, INVENTORY_VERSION)
    if row is None:
        session.add(m.Meta(key=INVENTORY_VERSION, value="1"))
    else:
        row.value = str(int(row.value) + 1)


def inventory_version(session: Session) -> int:
    row = session.get(m.Meta, INVENTORY_VERSION)
    return int(row.value) if row else 0


def _apply_client(
    session: Session, client: ClientModel, valid: ValidInventory, now: float, report: ApplyReport
) -> None:
    row = session.scalar(select(m.Client).where(m.Client.key == client.id))
    fields = {
        "name": client.name or client.id,
        "contact": client.contact,
        "defaults": valid.inventory.defaults.model_dump(mode="json", exclude_defaults=True),
        "notify": client.notify.model_dump(mode="json", exclude_defaults=True),
        "maintenance": [
            w.model_dump(mode="json", exclude_defaults=True, exclude={"client"})
            for w in client.maintenance
        ],
        "service": client.service.model_dump(mode="json", exclude_defaults=True),
    }
    if row is None:
        row = m.Client(key=client.id, created_at=now, updated_at=now, **fields)
        session.add(row)
        session.flush()
        report.added.append(client.id)
    elif not _same(row, fields):
        for k, v in fields.items():
            setattr(row, k, v)
        row.updated_at = now
        report.changed.append(client.id)

    sites = {s.key: s for s in session.scalars(select(m.Site).where(m.Site.client_id == row.id))}
    devices = {
        d.key: d for d in session.scalars(select(m.Device).where(m.Device.client_id == row.id))
    }
    services = {
        s.key: s for s in session.scalars(select(m.Service).where(m.Service.client_id == row.id))
    }
    checks: dict[int, dict[str, m.Check]] = {}  # by device id, then name: one query per client
    for crow in session.scalars(select(m.Check).where(m.Check.client_id == row.id)):
        checks.setdefault(crow.device_id, {})[crow.name] = crow
    new_devices: list[tuple[m.Device, list[ResolvedCheck]]] = []  # their checks once they have ids
    seen_sites: set[str] = set()
    seen_devices: set[str] = set()
    seen_services: set[str] = set()
    for site in client.sites:
        seen_sites.add(site.id)
        srow = sites.get(site.id)
        sfields = {
            "name": site.name or site.id,
            "address": site.address,
            "timezone": site.timezone,
            "retired_at": None,
        }
        label = f"{client.id}/{site.id}"
        if srow is None:
            srow = m.Site(client_id=row.id, key=site.id, **sfields)
            session.add(srow)
            session.flush()
            sites[site.id] = srow
            report.added.append(label)
        elif not _same(srow, sfields):
            for k, v in sfields.items():
                setattr(srow, k, v)
            report.changed.append(label)
        for device in site.devices:
            seen_devices.add(device.id)
            wanted = valid.checks.get((client.id, device.id), [])
            drow = _apply_device(
                session, row.id, srow.id, client.id, device, wanted, devices, checks, now, report
            )
            if drow is not None:
                new_devices.append((drow, wanted))
        for service in site.services:
            seen_services.add(service.id)
            _apply_service(session, row.id, srow.id, client.id, service, services, now, report)

    if new_devices:
        session.flush()  # one flush gives every new device its id
        for drow, wanted in new_devices:
            _apply_checks(session, row.id, drow.id, wanted, {}, now, report)
    for key, drow in devices.items():
        if key not in seen_devices and drow.retired_at is None:
            drow.retired_at = now
            report.retired.append(f"{client.id}/{key}")
            report.checks_retired += _retire_checks(checks.get(drow.id, {}), keep=set(), now=now)
    for key, srow in sites.items():
        if key not in seen_sites and srow.retired_at is None:
            srow.retired_at = now
            report.retired.append(f"{client.id}/{key}")
    for key, vrow in services.items():
        if key not in seen_services and vrow.retired_at is None:
            vrow.retired_at = now
            report.retired.append(f"{client.id}/service:{key}")


def _apply_service(
    session: Session,
    client_id: int,
    site_id: int,
    client_key: str,
    service: ServiceModel,
    services: dict[str, m.Service],
    now: float,
    report: ApplyReport,
) -> None:
    fields = {
        "site_id": site_id,
        "name": service.name or service.id,
        "criticality": service.criticality,
        "needs": list(service.needs),
        "retired_at": None,
    }
    label = f"{client_key}/service:{service.id}"
    row = services.get(service.id)
    if row is None:
        session.add(
            m.Service(client_id=client_id, key=service.id, created_at=now, updated_at=now, **fields)
        )
        report.added.append(label)
    elif not _same(row, fields):
        for k, v in fields.items():
            setattr(row, k, v)
        row.updated_at = now
        report.changed.append(label)


def _apply_device(
    session: Session,
    client_id: int,
    site_id: int,
    client_key: str,
    device: DeviceModel,
    wanted: list[ResolvedCheck],
    devices: dict[str, m.Device],
    checks: dict[int, dict[str, m.Check]],
    now: float,
    report: ApplyReport,
) -> m.Device | None:
    """Add or update one device and, if it already has an id, its checks. A new device is
    returned: its checks are added once a single flush has given every new device its id."""
    fields = {**_device_fields(device), "site_id": site_id, "retired_at": None}
    label = f"{client_key}/{device.id}"
    drow = devices.get(device.id)
    if drow is None:
        drow = m.Device(
            client_id=client_id, key=device.id, created_at=now, updated_at=now, **fields
        )
        session.add(drow)
        devices[device.id] = drow
        report.added.append(label)
        return drow
    device_changed = not _same(drow, fields)
    if device_changed:
        for k, v in fields.items():
            setattr(drow, k, v)
        drow.updated_at = now
    existing = checks.get(drow.id, {})
    if _apply_checks(session, client_id, drow.id, wanted, existing, now, report) or device_changed:
        report.changed.append(label)
    else:
        report.unchanged += 1
    return None


def _apply_checks(
    session: Session,
    client_id: int,
    device_id: int,
    wanted: list[ResolvedCheck],
    existing: dict[str, m.Check],
    now: float,
    report: ApplyReport,
) -> bool:
    changed = False
    for check in wanted:
        fields = {**_check_fields(check), "retired_at": None}
        row = existing.get(check.name)
        if row is None:
            session.add(
                m.Check(
                    client_id=client_id,
                    device_id=device_id,
                    name=check.name,
                    created_at=now,
                    updated_at=now,
                    **fields,
                )
            )
            report.checks_added += 1
            changed = True
        elif not _same(row, fields):
            if row.type != check.spec.type:  # a different probe: the old state means nothing
                session.execute(delete(m.CheckState).where(m.CheckState.check_id == row.id))
            for k, v in fields.items():
                setattr(row, k, v)
            row.updated_at = now
            report.checks_changed += 1
            changed = True
    retired = _retire_checks(existing, keep={c.name for c in wanted}, now=now)
    report.checks_retired += retired
    return changed or retired > 0


def _retire_checks(existing: dict[str, m.Check], keep: set[str], now: float) -> int:
    """Retire the device's live checks not in `keep`; how many were retired."""
    retired = 0
    for name, row in existing.items():
        if name not in keep and row.retired_at is None:
            row.retired_at = now
            retired += 1
    return retired
