"""GET /me: who is asking, what they may see, and how they signed in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from sitekeeper.api.deps import CurrentUser, ScopeDep
from sitekeeper.api.schemas import ClientRef, MePublic, TokenInfo
from sitekeeper.auth.tokens import split_api_token
from sitekeeper.db import models as m

router = APIRouter(tags=["me"])


@router.get("/me", response_model=MePublic, summary="Who am I")
def me(request: Request, principal: CurrentUser, scope: ScopeDep) -> MePublic:
    clients = scope.session.scalars(
        scope.where(select(m.Client), m.Client.id).order_by(m.Client.key)
    )
    token = None
    if principal.via == "token":
        _, _, value = request.headers.get("authorization", "").partition(" ")
        prefix = split_api_token(value.strip())
        row = scope.session.scalar(
            select(m.ApiToken).where(
                m.ApiToken.prefix == (prefix or ""), m.ApiToken.user_id == principal.user_id
            )
        )
        if row is not None:
            token = TokenInfo.model_validate(row)
    return MePublic(
        id=principal.user_id,
        email=principal.email,
        name=principal.name,
        role=principal.role,
        via="token" if principal.via == "token" else "session",
        can_write=principal.can_write,
        all_clients=principal.client_ids is None,
        clients=[ClientRef.model_validate(c) for c in clients],
        token=token,
    )
