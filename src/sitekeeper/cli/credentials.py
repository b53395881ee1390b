"""`sitekeeper credentials set|list|remove`: device credentials, stored encrypted.

Values are read from prompts (hidden) or standard input, never from arguments (they would
land in the shell's history and the process list)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sitekeeper.cli.common import (
    console,
    fail,
    handle_errors,
    iso,
    open_store,
    print_json,
    settings,
)

if TYPE_CHECKING:
    from sitekeeper.secrets import SecretBox

app = typer.Typer(
    help="Device credentials (SNMP communities and v3 keys, passwords), encrypted at rest. "
    "An inventory refers to them by name: `credentials: NAME`.",
    no_args_is_help=True,
)


def _box() -> SecretBox:
    from sitekeeper.secrets import SecretBox

    return SecretBox.for_data_dir(settings().data_dir)


def _secret(label: str, stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt(label, hide_input=True))


@app.command("set")
@handle_errors
def set_(
    name: Annotated[str, typer.Argument(help="The name inventories use, e.g. acme/switches.")],
    kind: Annotated[str, typer.Option(help="snmp or password.")] = "snmp",
    version: Annotated[str, typer.Option(help="SNMP version: 1, 2c or 3.")] = "2c",
    user: Annotated[
        str | None, typer.Option(help="SNMP v3 user, or the username of a password credential.")
    ] = None,
    auth: Annotated[
        str | None,
        typer.Option(help="SNMP v3 auth protocol: sha, sha224, sha256, sha384, sha512 (md5)."),
    ] = None,
    priv: Annotated[str | None, typer.Option(help="SNMP v3 privacy protocol: aes (des).")] = None,
    stdin: Annotated[
        bool,
        typer.Option(
            "--stdin",
            help="Read the secret(s) from standard input, one per line, instead of prompting.",
        ),
    ] = False,
) -> None:
    """Store (or replace) a credential. You are prompted for the secret values."""
    from sitekeeper.clock import SystemClock
    from sitekeeper.credentials import CredentialError, set_credential

    values: dict[str, str] = {}
    if kind == "snmp":
        values["version"] = version
        if version in ("1", "2c"):
            values["community"] = _secret("Community", stdin)
        else:
            values["user"] = user or ""
            if auth:
                values["auth_protocol"], values["auth_key"] = auth, _secret("Auth key", stdin)
            if priv:
                values["priv_protocol"], values["priv_key"] = priv, _secret("Privacy key", stdin)
    elif kind == "password":
        if user:
            values["username"] = user
        values["password"] = _secret("Password", stdin)
    store = open_store()
    try:
        with store.session() as session:
            try:
                new = set_credential(session, _box(), name, kind, values, SystemClock().now())
            except CredentialError as err:
                fail(str(err), code=2)
            session.commit()
    finally:
        store.close()
    console.print(f"{'stored' if new else 'replaced'} {kind} credentials {name!r}")


@app.command("list")
@handle_errors
def list_(
    json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Names, kinds and which fields are set — never a value."""
    from sitekeeper.credentials import list_credentials

    store = open_store()
    try:
        with store.session() as session:
            rows = list_credentials(session, _box())
    finally:
        store.close()
    if json:
        print_json(
            [
                {
                    "name": r.name,
                    "kind": r.kind,
                    "fields": list(r.fields),
                    "updated_at": iso(r.updated_at),
                }
                for r in rows
            ]
        )
        return
    table = Table(header_style="bold")
    for col in ("Name", "Kind", "Fields set", "Updated"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.name, r.kind, ", ".join(r.fields), iso(r.updated_at) or "")
    console.print(table)


@app.command("remove")
@handle_errors
def remove(name: Annotated[str, typer.Argument(help="The credential's name.")]) -> None:
    """Remove a credential (devices that refer to it are then checked without it)."""
    from sitekeeper.credentials import remove_credential

    store = open_store()
    try:
        with store.session() as session:
            remove_credential(session, name)
            session.commit()
    finally:
        store.close()
    console.print(f"removed credentials {name!r}")
