"""Serving the dashboard and API next to the runtime, for `up` and `demo`."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from fastapi import FastAPI

    from sitekeeper.results.store import Store
    from sitekeeper.runtime import EmbeddedRuntime


@dataclass
class Web:
    app: FastAPI
    sock: socket.socket
    url: str
    setup_url: str | None


def prepare_web(store: Store, runtime: EmbeddedRuntime, listen: str) -> Web:
    """Bind first (a taken port is a clear error before anything starts), then build the app.
    While there is no admin, a fresh one-time setup link is issued."""
    from sitekeeper.api.app import create_app
    from sitekeeper.api.server import bind, parse_listen
    from sitekeeper.auth.accounts import issue_setup_token

    host, port = parse_listen(listen)
    sock = bind(host, port)
    port = sock.getsockname()[1]  # the real one when asked for port 0
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{port}"
    with store.session() as session:
        token = issue_setup_token(session)
        session.commit()
    app = create_app(store, runtime=runtime, clock=runtime.clock)
    return Web(app, sock, url, f"{url}/setup?token={token}" if token else None)


def announce(console: Console, web: Web) -> None:
    from sitekeeper.api.server import is_loopback

    console.print(
        f"dashboard and API at [bold]{web.url}[/]  (OpenAPI: {web.url}/api/v1/openapi.json)"
    )
    if web.setup_url:
        console.print(
            "[yellow]no admin account yet[/]: open this one-time link to create it —\n"
            f"  [bold]{web.setup_url}[/]\n"
            "  (or: sitekeeper user create --role admin YOUR@EMAIL)",
            highlight=False,
        )
    host = web.url.split("//", 1)[1].rsplit(":", 1)[0].strip("[]")
    if not is_loopback(host):
        console.print(
            "[yellow]serving plain HTTP beyond this machine[/]: put it behind TLS (a reverse "
            "proxy) so passwords and session cookies are not sent in clear"
        )
