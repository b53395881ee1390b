"""The notifications page: every channel the signed-in person may see, with its state and
its last error — a channel that failed permanently (a revoked Slack hook, a wrong password)
shows here instead of silently dropping pages. Targets are shown redacted; secrets never."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from sitekeeper.notify.channels import ChannelInfo, list_channels
from sitekeeper.web.render import render
from sitekeeper.web.security import PageScope

router = APIRouter(include_in_schema=False)


def visible_channels(scope: PageScope) -> list[ChannelInfo]:
    """Admins: all. Others: the channels of their clients (client keys through the scope) and
    the MSP-wide ones (their incidents go there too)."""
    from sqlalchemy import select

    from sitekeeper.db import models as m

    keys = set(scope.session.scalars(scope.where(select(m.Client.key), m.Client.id)))
    return [c for c in list_channels(scope.session) if c.client is None or c.client in keys]


@router.get("/channels")
def channels_page(request: Request, scope: PageScope) -> Response:
    channels = visible_channels(scope)
    return render(
        request,
        "channels.html",
        {
            "channels": channels,
            "failing": [c for c in channels if c.state in ("failing", "disabled")],
        },
    )
