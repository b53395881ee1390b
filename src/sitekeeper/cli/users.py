"""`sitekeeper user ...` and `sitekeeper token ...`: accounts and API tokens, from the shell.

There are no default accounts: the first admin comes from `user create --role admin` here or
from the one-time setup link `sitekeeper up` prints.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from sitekeeper.cli.common import console, fail, handle_errors, iso, open_store, print_json

user_app = typer.Typer(
    help="People who sign in: admins, technicians, client users.", no_args_is_help=True
)
token_app = typer.Typer(
    help="API tokens for scripts and integrations (shown once, revocable).", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _password(stdin: bool) -> str:
    from sitekeeper.auth.passwords import MIN_LENGTH, WeakPassword, check_strength

    if stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt(
            f"Password (at least {MIN_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt=True,
        )
    try:
        check_strength(password)
    except WeakPassword as err:
        fail(str(err), code=2)
    return password


def _clock_now() -> float:
    from sitekeeper.clock import SystemClock

    return SystemClock().now()


@user_app.command("create")
@handle_errors
def create(
    email: Annotated[str, typer.Argument(help="Their e-mail address: the sign-in name.")],
    role: Annotated[
        str,
        typer.Option(
            help="admin (the whole MSP), technician (assigned clients) or client (one client, read-only)."
        ),
    ] = "technician",
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    client: Annotated[
        str | None, typer.Option(help="For a client user: the id of their client.")
    ] = None,
    assign: Annotated[
        list[str] | None, typer.Option(help="For a technician: a client id to assign (repeat).")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from standard input instead of prompting."
        ),
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Create an account. Prompts for the password (twice) unless --password-stdin."""
    from sitekeeper.auth import accounts
    from sitekeeper.auth.principal import Role

    try:
        wanted = Role(role)
    except ValueError:
        fail(f"unknown role {role!r}; roles are: admin, technician, client", code=2)
    password = _password(password_stdin)
    store = open_store()
    try:
        with store.session() as session:
            user = accounts.create_user(
                session,
                email=email,
                name=name or email,
                role=wanted,
                now=_clock_now(),
                password=password,
                client_key=client,
                client_keys=assign or (),
            )
            session.commit()
            out = {"id": user.id, "email": user.email, "role": user.role}
    finally:
        store.close()
    if json:
        print_json(out)
    else:
        console.print(f"created {out['role']} {out['email']} (id {out['id']})")


def _users(session: Any) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from sitekeeper.db import models as m

    keys = {c.id: c.key for c in session.scalars(select(m.Client))}
    assigned: dict[int, list[str]] = {}
    for uc in session.scalars(select(m.UserClient)):
        assigned.setdefault(uc.user_id, []).append(keys.get(uc.client_id, "?"))
    return [
        {
            "id": u.id,
            "email": u.email,
            "name": u.name,
            "role": u.role,
            "clients": [keys[u.client_id]] if u.client_id else sorted(assigned.get(u.id, [])),
            "last_login_at": iso(u.last_login_at),
            "disabled": u.disabled_at is not None,
        }
        for u in session.scalars(select(m.User).order_by(m.User.id))
    ]


@user_app.command("list")
@handle_errors
def list_users(json: JsonOpt = False) -> None:
    """Every account, with role and clients (never a password hash)."""
    store = open_store()
    try:
        with store.session() as session:
            rows = _users(session)
    finally:
        store.close()
    if json:
        print_json(rows)
        return
    table = Table(header_style="bold")
    for col in ("Id", "E-mail", "Name", "Role", "Clients", "Last sign-in", "State"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["email"],
            r["name"],
            r["role"],
            "all" if r["role"] == "admin" else ", ".join(r["clients"]),
            r["last_login_at"] or "never",
            "disabled" if r["disabled"] else "active",
        )
    console.print(table)


def _find_user(session: Any, email: str) -> Any:
    from sitekeeper.auth import accounts
    from sitekeeper.errors import NotFound

    user = accounts.find_user(session, email)
    if user is None:
        raise NotFound(f"no user {email}; see `sitekeeper user list`")
    return user


@user_app.command("passwd")
@handle_errors
def passwd(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a new password; it signs the user out of every browser."""
    from sitekeeper.auth import accounts

    password = _password(password_stdin)
    store = open_store()
    try:
        with store.session() as session:
            accounts.set_password(session, _find_user(session, email), password)
            session.commit()
    finally:
        store.close()
    console.print(f"password changed for {email}")


@user_app.command("disable")
@handle_errors
def disable(email: Annotated[str, typer.Argument(help="The account's e-mail address.")]) -> None:
    """Disable an account: it can no longer sign in, and its sessions and tokens stop working."""
    store = open_store()
    try:
        with store.session() as session:
            user = _find_user(session, email)
            user.disabled_at = _clock_now()
            session.commit()
    finally:
        store.close()
    console.print(f"disabled {email}")


@token_app.command("create")
@handle_errors
def token_create(
    user: Annotated[
        str, typer.Option("--user", help="The e-mail of the account the token acts as.")
    ],
    name: Annotated[
        str, typer.Option(help="What the token is for, e.g. prometheus or billing-sync.")
    ],
    scope: Annotated[
        list[str] | None, typer.Option(help="read (default) and/or write; repeat for both.")
    ] = None,
    expires_days: Annotated[
        float | None, typer.Option(help="Expire after this many days (default: never).", min=0.01)
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Create an API token. It is printed once: store it now (only a hash is kept)."""
    from sitekeeper.auth import accounts

    now = _clock_now()
    store = open_store()
    try:
        with store.session() as session:
            token, row = accounts.create_token(
                session,
                _find_user(session, user),
                name,
                scope or ["read"],
                now,
                expires_at=now + expires_days * 86400 if expires_days else None,
            )
            session.commit()
            row_scopes = list(row.scopes)
            out = {
                "id": row.id,
                "name": row.name,
                "scopes": row.scopes,
                "token": token,
                "expires_at": iso(row.expires_at),
            }
    finally:
        store.close()
    if json:
        print_json(out)
    else:
        scopes = ", ".join(row_scopes)
        console.print(f"token {out['id']} ({name}, {scopes}) — shown once, store it now:")
        typer.echo(token)


@token_app.command("list")
@handle_errors
def token_list(json: JsonOpt = False) -> None:
    """Every token: id, owner, name, scopes, prefix, use and expiry (never the token)."""
    from sqlalchemy import select

    from sitekeeper.db import models as m

    store = open_store()
    try:
        with store.session() as session:
            rows = [
                {
                    "id": t.id,
                    "user": email,
                    "name": t.name,
                    "prefix": f"skt_{t.prefix}_…",
                    "scopes": t.scopes,
                    "created_at": iso(t.created_at),
                    "last_used_at": iso(t.last_used_at),
                    "expires_at": iso(t.expires_at),
                    "revoked": t.revoked_at is not None,
                }
                for t, email in session.execute(
                    select(m.ApiToken, m.User.email)
                    .join(m.User, m.User.id == m.ApiToken.user_id)
                    .order_by(m.ApiToken.id)
                )
            ]
    finally:
        store.close()
    if json:
        print_json(rows)
        return
    table = Table(header_style="bold")
    for col in ("Id", "User", "Name", "Prefix", "Scopes", "Last used", "Expires", "State"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["user"],
            r["name"],
            r["prefix"],
            ", ".join(r["scopes"]),
            r["last_used_at"] or "never",
            r["expires_at"] or "never",
            "revoked" if r["revoked"] else "active",
        )
    console.print(table)


@token_app.command("revoke")
@handle_errors
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see `token list`).")],
) -> None:
    """Revoke a token: it stops working at once."""
    from sitekeeper.auth import accounts

    store = open_store()
    try:
        with store.session() as session:
            accounts.revoke_token(session, token_id, _clock_now())
            session.commit()
    finally:
        store.close()
    console.print(f"revoked token {token_id}")
