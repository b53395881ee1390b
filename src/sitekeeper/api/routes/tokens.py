"""API tokens: GET /tokens (your own), POST /tokens (the token is shown once), DELETE
/tokens/{token_id} (revoke your own; admins any). Only a hash of a token is kept.

A token may not mint a token stronger than itself: creating one needs a browser session or
a token with the `write` scope, and only users who may write get `write` tokens.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from sqlalchemy import select

from sitekeeper.api.deps import ClockDep, CurrentUser, SessionDep, check_csrf
from sitekeeper.api.errors import ApiError
from sitekeeper.api.routes._common import WRITE_ERRORS, Id, PageDep
from sitekeeper.api.schemas import Page, TokenCreate, TokenCreated, TokenPublic
from sitekeeper.auth import accounts
from sitekeeper.auth.principal import Principal, Role
from sitekeeper.db import models as m
from sitekeeper.errors import NotFound

router = APIRouter(tags=["tokens"])


def may_manage_tokens(request: Request, principal: Principal) -> None:
    """Browser sessions (with the CSRF token) and write tokens; never a read-only token."""
    check_csrf(request, principal)
    if principal.via == "token" and not principal.can_write:
        raise ApiError(403, "a read-only token may not create or revoke tokens; use the dashboard")


def token_public(row: m.ApiToken, now: float) -> TokenPublic:
    expired = row.expires_at is not None and row.expires_at <= now
    return TokenPublic(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scopes=list(row.scopes),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        active=row.revoked_at is None and not expired,
    )


@router.get("/tokens", response_model=Page[TokenPublic], summary="Your API tokens")
def list_tokens(
    principal: CurrentUser, session: SessionDep, clock: ClockDep, page: PageDep
) -> Page[TokenPublic]:
    stmt = (
        select(m.ApiToken)
        .where(m.ApiToken.user_id == principal.user_id)
        .order_by(m.ApiToken.id.desc())
    )
    rows, total = page.rows(session, stmt)
    now = clock.now()
    items = [token_public(r[0], now) for r in rows]
    return Page[TokenPublic](items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/tokens",
    response_model=TokenCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API token (shown once)",
    responses=WRITE_ERRORS,
)
def create_token(
    body: TokenCreate,
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
) -> TokenCreated:
    may_manage_tokens(request, principal)
    if "write" in body.scopes and principal.role is Role.CLIENT:
        raise ApiError(403, "client accounts are read-only: their tokens get the read scope")
    user = session.get(m.User, principal.user_id)
    if user is None:  # deleted between authentication and now
        raise ApiError(401, "the account no longer exists")
    now = clock.now()
    expires = now + body.expires_in_days * 86400 if body.expires_in_days else None
    token, row = accounts.create_token(session, user, body.name, body.scopes, now, expires)
    session.add(
        m.Audit(
            at=now,
            actor=principal.email,
            action="token.create",
            client_id=None,
            detail={"token_id": row.id, "name": row.name, "scopes": row.scopes},
        )
    )
    session.commit()
    return TokenCreated(**token_public(row, now).model_dump(), token=token)


@router.delete("/tokens/{token_id}", response_model=TokenPublic, summary="Revoke an API token")
def revoke_token(
    token_id: Id, request: Request, principal: CurrentUser, session: SessionDep, clock: ClockDep
) -> TokenPublic:
    may_manage_tokens(request, principal)
    now = clock.now()
    owner = None if principal.is_admin else principal.user_id
    try:
        row = accounts.revoke_token(session, token_id, now, user_id=owner)
    except NotFound:
        raise NotFound(f"no token {token_id}") from None
    session.add(
        m.Audit(
            at=now,
            actor=principal.email,
            action="token.revoke",
            client_id=None,
            detail={"token_id": row.id, "user_id": row.user_id},
        )
    )
    session.commit()
    return token_public(row, now)
