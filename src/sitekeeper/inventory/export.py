"""Export the active inventory from the store as YAML, in the shape `apply` reads."""

from __future__ import annotations

import json
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from sitekeeper.db import models as m
from sitekeeper.errors import NotFound, SitekeeperError


def export_data(session: Session, client: str | None = None) -> dict[str, Any]:
    stmt = select(m.Client).order_by(m.Client.key)
    if client:
        stmt = stmt.where(m.Client.key == client)
    clients = list(session.scalars(stmt))
    if client and not clients:
        raise NotFound(f"no client {client!r}; see `sitekeeper status --json` for client ids")
    out: list[dict[str, Any]] = []
    for c in clients:
        sites = session.scalars(
            select(m.Site)
            .where(m.Site.client_id == c.id, m.Site.retired_at.is_(None))
            .order_by(m.Site.id)
        )
        site_list = []
        for s in sites:
            devices = session.scalars(
                select(m.Device)
                .where(m.Device.site_id == s.id, m.Device.retired_at.is_(None))
                .order_by(m.Device.id)
            )
            entry: dict[str, Any] = {"id": s.key}
            if s.name != s.key:
                entry["name"] = s.name
            if s.address:
                entry["address"] = s.address
            if s.timezone != "UTC":
                entry["timezone"] = s.timezone
            entry["devices"] = [dict(d.entry) for d in devices]
            services = session.scalars(
                select(m.Service)
                .where(m.Service.site_id == s.id, m.Service.retired_at.is_(None))
                .order_by(m.Service.id)
            )
            svc_list = []
            for svc in services:
                item: dict[str, Any] = {"id": svc.key}
                if svc.name != svc.key:
                    item["name"] = svc.name
                if svc.criticality != 3:
                    item["criticality"] = svc.criticality
                item["needs"] = list(svc.needs)
                svc_list.append(item)
            if svc_list:
                entry["services"] = svc_list
            site_list.append(entry)
        centry: dict[str, Any] = {"id": c.key}
        if c.name != c.key:
            centry["name"] = c.name
        if c.contact:
            centry["contact"] = c.contact
        centry["sites"] = site_list
        if c.notify:
            centry["notify"] = dict(c.notify)
        if c.maintenance:
            centry["maintenance"] = list(c.maintenance)
        if c.service:
            centry["service"] = dict(c.service)
        out.append(centry)
    doc: dict[str, Any] = {"version": 1}
    defaults = {json.dumps(c.defaults or {}, sort_keys=True) for c in clients}
    if len(defaults) > 1:
        raise SitekeeperError(
            "these clients were applied from files with different `defaults:`; "
            "export them one at a time with --client"
        )
    if clients and clients[0].defaults:
        doc["defaults"] = dict(clients[0].defaults)
    doc["clients"] = out
    return doc


def export_yaml(session: Session, client: str | None = None) -> str:
    """Devices are exported as they were written, with the `defaults:` they were applied
    with, so applying the export changes nothing."""
    return yaml.safe_dump(export_data(session, client), sort_keys=False, allow_unicode=True)
