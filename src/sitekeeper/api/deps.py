"""Request dependencies: the database session, who is asking, and their scope.

SessionDep   a SQLAlchemy session for this request (committed by the route when it writes)
CurrentUser  the Principal: a bearer token (`Authorization: Bearer skt_...`) or a browser
             session cookie; 401 without either
WriteUser    ... who may change things (token scope "write", not a client user); for browser
             sessions an unsafe method also needs the CSRF token (header X-CSRF-Token)
AdminUser    ... who is an admin
ScopeDep     the one scoped path to client data (sitekeeper.api.scope)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from sitekeeper.api.errors import ApiError
from sitekeeper.api.scope import Scope
from sitekeeper.auth import accounts
from sitekeeper.auth.principal import Principal
from sitekeeper.auth.tokens import same
from sitekeeper.clock import Clock
from sitekeeper.results.store import Store

SESSION_COOKIE = "sk_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def db_session(request: Request) -> Iterator[Session]:
    with get_store(request).session() as session:
        yield session


SessionDep = Annotated[Session, Depends(db_session)]
ClockDep = Annotated[Clock, Depends(get_clock)]


def optional_principal(request: Request, session: SessionDep, clock: ClockDep) -> Principal | None:
    """Who is asking, or None. Token wins over cookie. Updates last-used stamps."""
    now = clock.now()
    auth = request.headers.get("authorization", "")
    principal: Principal | None = None
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ApiError(
                401, "use `Authorization: Bearer <token>`", headers={"WWW-Authenticate": "Bearer"}
            )
        principal = accounts.principal_for_token(session, value.strip(), now)
        if principal is None:
            raise ApiError(
                401,
                "the token is not valid (unknown, revoked or expired)",
                headers={"WWW-Authenticate": "Bearer"},
            )
    else:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid:
            principal = accounts.principal_for_session(session, sid, now)
    if principal is not None and session.dirty:
        session.commit()  # last-used stamps
    return principal


def current_principal(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> Principal:
    if principal is None:
        raise ApiError(
            401,
            "sign in, or send `Authorization: Bearer <token>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def check_csrf(request: Request, principal: Principal) -> None:
    """Browser sessions must prove a write came from our page: the CSRF token in a header
    (htmx sends it) or a form field `csrf_token`."""
    if principal.via != "session" or request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER) or getattr(request.state, "form_csrf", None)
    if not sent or principal.csrf_token is None or not same(sent, principal.csrf_token):
        raise ApiError(
            403, "missing or wrong CSRF token; reload the page and try again", code="csrf"
        )


def write_principal(request: Request, principal: CurrentUser) -> Principal:
    check_csrf(request, principal)
    if not principal.can_write:
        raise ApiError(403, "this account or token may only read")
    return principal


WriteUser = Annotated[Principal, Depends(write_principal)]


def admin_principal(request: Request, principal: CurrentUser) -> Principal:
    check_csrf(request, principal)
    if not principal.is_admin:
        raise ApiError(403, "only an admin may do this")
    return principal


AdminUser = Annotated[Principal, Depends(admin_principal)]


def scope(session: SessionDep, principal: CurrentUser) -> Scope:
    return Scope(session, principal)


ScopeDep = Annotated[Scope, Depends(scope)]
