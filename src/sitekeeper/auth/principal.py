"""Who is asking, and what they may see. Every query for client data is narrowed by
`Principal.client_ids` through one path (`sitekeeper.api.scope`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # the whole MSP: every client, every action
    TECHNICIAN = "technician"  # the clients assigned to them: read and act
    CLIENT = "client"  # one client, read-only


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    email: str
    name: str
    role: Role
    # None = every client (admins); otherwise the clients this principal may see.
    client_ids: frozenset[int] | None
    can_write: bool
    via: str  # "session" or "token"
    csrf_token: str | None = None  # set for browser sessions

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def may_see(self, client_id: int) -> bool:
        return self.client_ids is None or client_id in self.client_ids
