"""Users, API tokens and browser sessions in the store, and the Principal each one yields.

All functions take a SQLAlchemy Session and a `now`; they do not commit (the caller does).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sitekeeper.auth.passwords import hash_password, needs_rehash, verify_password
from sitekeeper.auth.principal import Principal, Role
from sitekeeper.auth.tokens import digest, new_api_token, random_secret, same, split_api_token
from sitekeeper.db import models as m
from sitekeeper.errors import AccountError, NotFound

__all__ = ["AccountError"]  # re-exported: callers catch accounts.AccountError

SESSION_TTL_S = 12 * 3600.0
SESSION_IDLE_S = 2 * 3600.0
SCOPES = ("read", "write")


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise AccountError(f"{email!r} is not an e-mail address")
    return email


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role,
    now: float,
    password: str | None = None,
    client_key: str | None = None,
    client_keys: Iterable[str] = (),
) -> m.User:
    """A new user. Clients (role=client) name their client; technicians their assignments."""
    email = normalise_email(email)
    if session.scalar(select(m.User).where(m.User.email == email)) is not None:
        raise AccountError(f"a user {email} already exists")
    client_id = None
    if role is Role.CLIENT:
        if not client_key:
            raise AccountError("a client user needs the client they belong to (--client)")
        client_id = _client_id(session, client_key)
    elif client_key:
        raise AccountError("only client users belong to one client; assign technicians instead")
    user = m.User(
        email=email,
        name=name or email,
        role=role.value,
        client_id=client_id,
        password_hash=hash_password(password) if password is not None else None,
        created_at=now,
    )
    session.add(user)
    session.flush()
    if client_keys:
        if role is not Role.TECHNICIAN:
            raise AccountError("only technicians are assigned to clients")
        assign(session, user, client_keys)
    return user


def _client_id(session: Session, key: str) -> int:
    cid = session.scalar(select(m.Client.id).where(m.Client.key == key))
    if cid is None:
        known = ", ".join(session.scalars(select(m.Client.key).order_by(m.Client.key))) or "none"
        raise NotFound(f"no client {key!r}; known clients: {known}")
    return cid


def assign(session: Session, user: m.User, client_keys: Iterable[str]) -> None:
    for key in client_keys:
        cid = _client_id(session, key)
        if session.get(m.UserClient, (user.id, cid)) is None:
            session.add(m.UserClient(user_id=user.id, client_id=cid))
    session.flush()


def set_password(session: Session, user: m.User, password: str) -> None:
    user.password_hash = hash_password(password)
    # a new password ends every other browser session of this user
    session.execute(delete(m.WebSession).where(m.WebSession.user_id == user.id))


def find_user(session: Session, email: str) -> m.User | None:
    try:
        return session.scalar(select(m.User).where(m.User.email == normalise_email(email)))
    except AccountError:
        return None


def authenticate(session: Session, email: str, password: str, now: float) -> m.User | None:
    """The user if the password is right and the account active; same work either way."""
    user = find_user(session, email)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.disabled_at is not None:
        return None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    return user


def principal_for(
    session: Session,
    user: m.User,
    *,
    via: str,
    can_write: bool = True,
    csrf_token: str | None = None,
) -> Principal:
    role = Role(user.role)
    if role is Role.ADMIN:
        client_ids: frozenset[int] | None = None
    elif role is Role.CLIENT:
        client_ids = frozenset({user.client_id}) if user.client_id is not None else frozenset()
        can_write = False
    else:
        client_ids = frozenset(
            session.scalars(select(m.UserClient.client_id).where(m.UserClient.user_id == user.id))
        )
    return Principal(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=role,
        client_ids=client_ids,
        can_write=can_write,
        via=via,
        csrf_token=csrf_token,
    )


# -- API tokens -------------------------------------------------------------------------


def create_token(
    session: Session,
    user: m.User,
    name: str,
    scopes: Iterable[str],
    now: float,
    expires_at: float | None = None,
) -> tuple[str, m.ApiToken]:
    """Return (token, row); the token is shown once and only its hash is kept."""
    wanted = sorted(set(scopes)) or ["read"]
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise AccountError(f"unknown scope {unknown[0]!r}; scopes are: {', '.join(SCOPES)}")
    if "write" in wanted and user.role == Role.CLIENT.value:
        raise AccountError("client users are read-only: their tokens can only have the read scope")
    if "write" in wanted and "read" not in wanted:
        wanted = ["read", "write"]  # writing includes reading; say so in lists
    token, prefix, hashed = new_api_token()
    row = m.ApiToken(
        user_id=user.id,
        name=name,
        prefix=prefix,
        token_hash=hashed,
        scopes=wanted,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return token, row


def principal_for_token(session: Session, token: str, now: float) -> Principal | None:
    prefix = split_api_token(token)
    if prefix is None:
        return None
    row = session.scalar(select(m.ApiToken).where(m.ApiToken.prefix == prefix))
    if row is None or not same(row.token_hash, digest(token)):
        return None
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    user = session.get(m.User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    if row.last_used_at is None or now - row.last_used_at > 60:
        row.last_used_at = now  # at most once a minute: reads stay cheap
    return principal_for(session, user, via="token", can_write="write" in row.scopes)


def revoke_token(
    session: Session, token_id: int, now: float, *, user_id: int | None = None
) -> m.ApiToken:
    row = session.get(m.ApiToken, token_id)
    if row is None or (user_id is not None and row.user_id != user_id):
        raise NotFound(f"no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = now
    return row


# -- browser sessions -------------------------------------------------------------------


def create_session(session: Session, user: m.User, now: float) -> tuple[str, m.WebSession]:
    """Return (cookie value, row)."""
    sid = random_secret(32)
    row = m.WebSession(
        id_hash=digest(sid),
        user_id=user.id,
        csrf_token=random_secret(24),
        created_at=now,
        expires_at=now + SESSION_TTL_S,
        last_seen_at=now,
    )
    session.add(row)
    session.flush()
    return sid, row


def principal_for_session(session: Session, sid: str, now: float) -> Principal | None:
    row = session.get(m.WebSession, digest(sid))
    if row is None or row.expires_at <= now or now - row.last_seen_at > SESSION_IDLE_S:
        return None
    user = session.get(m.User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    if now - row.last_seen_at > 60:
        row.last_seen_at = now
    return principal_for(session, user, via="session", csrf_token=row.csrf_token)


def end_session(session: Session, sid: str) -> None:
    session.execute(delete(m.WebSession).where(m.WebSession.id_hash == digest(sid)))


def purge_sessions(session: Session, now: float) -> int:
    result = session.execute(delete(m.WebSession).where(m.WebSession.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


# -- first start ------------------------------------------------------------------------

SETUP_KEY = "setup_token_hash"


def has_admin(session: Session) -> bool:
    return (
        session.scalar(
            select(m.User.id)
            .where(m.User.role == Role.ADMIN.value, m.User.disabled_at.is_(None))
            .limit(1)
        )
        is not None
    )


def issue_setup_token(session: Session) -> str | None:
    """While there is no admin, a one-time token lets the first person create one. A new
    token replaces the last (each start prints a fresh one); None once an admin exists."""
    if has_admin(session):
        return None
    token = random_secret(24)
    row = session.get(m.Meta, SETUP_KEY)
    if row is None:
        session.add(m.Meta(key=SETUP_KEY, value=digest(token)))
    else:
        row.value = digest(token)
    return token


def redeem_setup_token(session: Session, token: str) -> bool:
    row = session.get(m.Meta, SETUP_KEY)
    if row is None or has_admin(session) or not same(row.value, digest(token)):
        return False
    session.delete(row)
    return True
