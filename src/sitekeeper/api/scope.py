"""The one scoped path to client data. Every route that reads or changes a client's data goes
through a `Scope`: it narrows queries to the principal's clients and turns ids of other
clients into 404s, exactly like ids that do not exist.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from sitekeeper.auth.principal import Principal
from sitekeeper.db import models as m
from sitekeeper.errors import NotFound

S = TypeVar("S", bound=Select[*tuple[Any, ...]])


class Scope:
    def __init__(self, session: Session, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    def where(self, stmt: S, client_col: InstrumentedAttribute[int] | Any) -> S:
        """`stmt` narrowed to the principal's clients (admins: unchanged)."""
        ids = self.principal.client_ids
        if ids is None:
            return stmt
        return stmt.where(client_col.in_(sorted(ids)))

    def check_client(self, client_id: int | None, what: str) -> None:
        if client_id is None or not self.principal.may_see(client_id):
            raise NotFound(f"no {what}")

    def client(self, client_id: int) -> m.Client:
        row = self.session.get(m.Client, client_id)
        self.check_client(row.id if row else None, f"client {client_id}")
        assert row is not None
        return row

    def site(self, site_id: int) -> m.Site:
        row = self.session.get(m.Site, site_id)
        self.check_client(row.client_id if row else None, f"site {site_id}")
        assert row is not None
        return row

    def device(self, device_id: int) -> m.Device:
        row = self.session.get(m.Device, device_id)
        self.check_client(row.client_id if row else None, f"device {device_id}")
        assert row is not None
        return row

    def check(self, check_id: int) -> m.Check:
        row = self.session.get(m.Check, check_id)
        self.check_client(row.client_id if row else None, f"check {check_id}")
        assert row is not None
        return row
