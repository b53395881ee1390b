"""Active sites and devices counted per client or per site, through the caller's scope."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from sitekeeper.api.scope import Scope
from sitekeeper.db import models as m


def count_by(scope: Scope, model: Any, key: Any, ids: Iterable[int]) -> dict[int, int]:
    """Active rows of `model` (sites or devices) per value of `key` among `ids`."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    stmt = (
        select(key, func.count()).where(key.in_(wanted), model.retired_at.is_(None)).group_by(key)
    )
    return {int(k): int(n) for k, n in scope.session.execute(scope.where(stmt, model.client_id))}


def sites_per_client(scope: Scope, client_ids: Iterable[int]) -> dict[int, int]:
    return count_by(scope, m.Site, m.Site.client_id, client_ids)


def devices_per_client(scope: Scope, client_ids: Iterable[int]) -> dict[int, int]:
    return count_by(scope, m.Device, m.Device.client_id, client_ids)


def devices_per_site(scope: Scope, site_ids: Iterable[int]) -> dict[int, int]:
    return count_by(scope, m.Device, m.Device.site_id, site_ids)
