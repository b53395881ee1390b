"""GET /flips: what changed when (device and check status transitions), newest first."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import and_, case, select

from sitekeeper.api.deps import ScopeDep
from sitekeeper.api.routes._common import FilterId, PageDep
from sitekeeper.api.schemas import FlipPublic, Page
from sitekeeper.db import models as m

router = APIRouter(tags=["flips"])


@router.get("/flips", response_model=Page[FlipPublic], summary="Status changes, newest first")
def list_flips(
    scope: ScopeDep,
    page: PageDep,
    client_id: FilterId = None,
    device_id: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Flips of the device and of its checks.")
    ] = None,
    check_id: FilterId = None,
    subject: Literal["check", "device"] | None = None,
    hard: bool | None = None,
    since: Annotated[
        float | None,
        Query(ge=0, le=4_102_444_800.0, allow_inf_nan=False, description="Epoch seconds."),
    ] = None,
) -> Page[FlipPublic]:
    f = m.Flip
    device_of = case((f.subject == "device", f.subject_id), else_=m.Check.device_id)
    stmt = (
        scope.where(select(f, m.Client.key, m.Check.name, m.Device.id, m.Device.key), f.client_id)
        .join(m.Client, m.Client.id == f.client_id)
        .outerjoin(m.Check, and_(f.subject == "check", m.Check.id == f.subject_id))
        .outerjoin(m.Device, m.Device.id == device_of)
        .order_by(f.at.desc(), f.id.desc())
    )
    if client_id is not None:
        stmt = stmt.where(f.client_id == client_id)
    if device_id is not None:
        stmt = stmt.where(m.Device.id == device_id)
    if check_id is not None:
        stmt = stmt.where(f.subject == "check", f.subject_id == check_id)
    if subject is not None:
        stmt = stmt.where(f.subject == subject)
    if hard is not None:
        stmt = stmt.where(f.hard.is_(hard))
    if since is not None:
        stmt = stmt.where(f.at >= since)
    rows, total = page.rows(scope.session, stmt)
    items = [
        FlipPublic(
            id=flip.id,
            at=flip.at,
            client_id=flip.client_id,
            client=client_key,
            subject="check" if flip.subject == "check" else "device",
            subject_id=flip.subject_id,
            device_id=dev_id,
            device=dev_key,
            check_id=flip.subject_id if flip.subject == "check" else None,
            check=check_name if flip.subject == "check" else None,
            old=flip.old,
            new=flip.new,
            hard=flip.hard,
            reason=flip.reason,
        )
        for flip, client_key, check_name, dev_id, dev_key in rows
    ]
    return Page[FlipPublic](items=items, total=total, limit=page.limit, offset=page.offset)
