"""Users (admins only): GET /users, POST /users, PATCH /users/{user_id}. Password hashes are
never returned; an admin cannot demote or disable themselves, so there is always one left."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sitekeeper.api.deps import AdminUser, ClockDep, SessionDep
from sitekeeper.api.errors import ApiError
from sitekeeper.api.routes._common import WRITE_ERRORS, Id, PageDep
from sitekeeper.api.schemas import Page, UserCreate, UserPublic, UserUpdate
from sitekeeper.auth import accounts
from sitekeeper.auth.principal import Principal, Role
from sitekeeper.db import models as m
from sitekeeper.errors import NotFound

router = APIRouter(tags=["users"])


def user_public(session: Session, user: m.User) -> UserPublic:
    client = session.get(m.Client, user.client_id) if user.client_id is not None else None
    assigned = session.scalars(
        select(m.Client.key)
        .join(m.UserClient, m.UserClient.client_id == m.Client.id)
        .where(m.UserClient.user_id == user.id)
        .order_by(m.Client.key)
    )
    return UserPublic(
        id=user.id,
        email=user.email,
        name=user.name,
        role=Role(user.role),
        client=client.key if client else None,
        clients=list(assigned),
        has_password=user.password_hash is not None,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        disabled=user.disabled_at is not None,
        disabled_at=user.disabled_at,
    )


def _audit(session: Session, principal: Principal, action: str, user: m.User, now: float) -> None:
    detail = {"user_id": user.id, "email": user.email, "role": user.role}
    session.add(
        m.Audit(at=now, actor=principal.email, action=action, client_id=None, detail=detail)
    )


@router.get("/users", response_model=Page[UserPublic], summary="Users (admins only)")
def list_users(
    _: AdminUser, session: SessionDep, page: PageDep, role: Role | None = None
) -> Page[UserPublic]:
    stmt = select(m.User).order_by(m.User.email)
    if role is not None:
        stmt = stmt.where(m.User.role == role.value)
    rows, total = page.rows(session, stmt)
    items = [user_public(session, r[0]) for r in rows]
    return Page[UserPublic](items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/users",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Create a user (admins only)",
    responses=WRITE_ERRORS,
)
def create_user(
    body: UserCreate, principal: AdminUser, session: SessionDep, clock: ClockDep
) -> UserPublic:
    if accounts.find_user(session, body.email) is not None:
        raise ApiError(409, f"a user {body.email.strip().lower()} already exists")
    try:
        user = accounts.create_user(
            session,
            email=body.email,
            name=body.name,
            role=body.role,
            now=clock.now(),
            password=body.password,
            client_key=body.client,
            client_keys=body.clients,
        )
    except (accounts.AccountError, NotFound) as err:
        raise ApiError(422, str(err)) from None
    _audit(session, principal, "user.create", user, clock.now())
    session.commit()
    return user_public(session, user)


@router.patch(
    "/users/{user_id}",
    response_model=UserPublic,
    summary="Change a user's name, role, clients or access (admins only)",
    responses=WRITE_ERRORS,
)
def update_user(
    user_id: Id, body: UserUpdate, principal: AdminUser, session: SessionDep, clock: ClockDep
) -> UserPublic:
    user = session.get(m.User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    now = clock.now()
    role = body.role or Role(user.role)
    if user.id == principal.user_id and (role is not Role.ADMIN or body.disabled):
        raise ApiError(409, "you cannot demote or disable yourself; ask another admin")
    try:
        _set_role(session, user, role, body)
    except NotFound as err:
        raise ApiError(422, str(err)) from None
    if body.name is not None:
        user.name = body.name or user.email
    if body.disabled is not None:
        user.disabled_at = (user.disabled_at or now) if body.disabled else None
        if body.disabled:  # signed-in browsers lose access now, not at their next login
            session.execute(delete(m.WebSession).where(m.WebSession.user_id == user.id))
    _audit(session, principal, "user.update", user, now)
    session.commit()
    return user_public(session, user)


def _set_role(session: Session, user: m.User, role: Role, body: UserUpdate) -> None:
    """Role, client and assignments, kept consistent: a client user has one client; a
    technician has assignments; an admin neither."""
    if body.client is not None and role is not Role.CLIENT:
        raise ApiError(422, "only client users belong to a client; assign technicians instead")
    if body.clients is not None and role is not Role.TECHNICIAN:
        raise ApiError(422, "only technicians are assigned to clients")
    if role is Role.CLIENT:
        if body.client is not None:
            user.client_id = _client_id(session, body.client)
        elif user.client_id is None:
            raise ApiError(422, "a client user needs `client`: the client they belong to")
    else:
        user.client_id = None
    if role is not Role.TECHNICIAN or body.clients is not None:
        session.execute(delete(m.UserClient).where(m.UserClient.user_id == user.id))
        user.role = role.value
        session.flush()
        accounts.assign(session, user, body.clients or [])
    user.role = role.value


def _client_id(session: Session, key: str) -> int:
    cid = session.scalar(select(m.Client.id).where(m.Client.key == key))
    if cid is None:
        raise NotFound(f"no client {key!r}")
    return cid
