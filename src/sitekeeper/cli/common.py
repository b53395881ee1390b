"""What every command shares: the console, settings, opening the store, clean errors."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from sitekeeper import timefmt
from sitekeeper.errors import AccountError, InventoryError, SitekeeperError
from sitekeeper.settings import Settings, load_settings


def _width() -> int | None:
    """Wide output when not on a terminal (logs, pipes), unless COLUMNS says otherwise."""
    if os.environ.get("COLUMNS") or sys.stdout.isatty():
        return None
    return 200


console = Console(width=_width())
err_console = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")

# Exit codes scripts can rely on.
EXIT_ERROR = 1  # something went wrong
EXIT_INVALID = 2  # the input (file, arguments) is invalid; nothing was changed


def settings() -> Settings:
    try:
        return load_settings()
    except Exception as err:  # pydantic's ValidationError on a bad SITEKEEPER_* variable
        fail(f"invalid SITEKEEPER_* setting: {err}")


def open_store() -> Any:
    """Open (and migrate) the store; a missing [server] extra is a clear error."""
    try:
        from sitekeeper.results.store import Store
    except ModuleNotFoundError as err:
        fail(
            f"this command needs the server parts ({err.name} is missing): "
            "pip install 'sitekeeper[server]'"
        )
    return Store.open(settings())


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, sort_keys=False) + "\n")


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn sitekeeper's errors into a message and an exit code, never a traceback."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except InventoryError as err:
            err_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False)
            raise typer.Exit(EXIT_INVALID) from None
        except AccountError as err:  # a duplicate user, a bad role for a client, ...
            fail(str(err), code=EXIT_INVALID)
        except SitekeeperError as err:
            fail(str(err))

    return wrapper


def ago(ts: float | None, now: float) -> str:
    return timefmt.ago(ts, now, compact=True)


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def client_row(session: Any, key: str) -> Any:
    """The store's client `key`, or exit 2 naming the known clients and how to add one."""
    from sqlalchemy import select

    from sitekeeper.db import models as m

    row = session.scalar(select(m.Client).where(m.Client.key == key))
    if row is None:
        known = session.scalars(select(m.Client.key).order_by(m.Client.key)).all()
        hint = f" (known: {', '.join(known)})" if known else ""
        fail(
            f"no client {key!r} in the store{hint}; add it with `sitekeeper inventory apply FILE`",
            code=EXIT_INVALID,
        )
    return row
