"""The `sitekeeper` command."""

from __future__ import annotations

from typing import Annotated

import typer

from sitekeeper import __version__
from sitekeeper.cli import check, inventory, lab
from sitekeeper.cli.advise import advise
from sitekeeper.cli.channels import app as channel_app
from sitekeeper.cli.credentials import app as credentials_app
from sitekeeper.cli.demo import demo
from sitekeeper.cli.heartbeats import app as heartbeats_app
from sitekeeper.cli.history import app as history_app
from sitekeeper.cli.incidents import incident_app, incidents
from sitekeeper.cli.lifecycle import lifecycle
from sitekeeper.cli.portfolio import portfolio
from sitekeeper.cli.status import status
from sitekeeper.cli.up import up
from sitekeeper.cli.users import token_app, user_app

app = typer.Typer(
    name="sitekeeper",
    help=(
        "Managed technology service for integrated homes and businesses.\n\n"
        "Start here: `sitekeeper inventory apply FILE`, then `sitekeeper up`, then "
        "`sitekeeper status`. Try it on a simulated site with `sitekeeper demo`.\n\n"
        "Settings come from the environment: SITEKEEPER_DATA_DIR (default: your user data "
        "directory) and SITEKEEPER_DATABASE_URL (default: SQLite in the data directory)."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(up)
app.command()(status)
app.command()(demo)
app.command()(incidents)
app.command()(advise)
app.command()(portfolio)
app.command()(lifecycle)
app.add_typer(incident_app, name="incident")
app.add_typer(inventory.app, name="inventory")
app.add_typer(check.app, name="check")
app.add_typer(lab.app, name="lab")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(channel_app, name="channel")
app.add_typer(credentials_app, name="credentials")
app.add_typer(heartbeats_app, name="heartbeats")
app.add_typer(history_app, name="history")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sitekeeper {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """Managed technology service for integrated homes and businesses."""


def main() -> None:
    app()
