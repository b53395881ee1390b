"""`sitekeeper channel ...`: where notifications go (apprise URLs and signed webhooks).

Targets and secrets are encrypted in the store and never shown again: lists show the kind,
a redacted host, the state and the last error.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import uuid
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from sitekeeper.cli.common import (
    EXIT_ERROR,
    EXIT_INVALID,
    ago,
    console,
    fail,
    handle_errors,
    iso,
    open_store,
    print_json,
    settings,
)

app = typer.Typer(
    help="Notification channels: e-mail, Slack, Teams, ntfy, ... (apprise) and signed webhooks.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
ClientOpt = Annotated[
    str | None, typer.Option("--client", help="The client's id; without it, MSP-wide.")
]
NameArg = Annotated[str, typer.Argument(help="The channel's name.")]


def _now() -> float:
    return time.time()


def _box() -> Any:
    from sitekeeper.secrets import SecretBox

    return SecretBox.for_data_dir(settings().data_dir)


def _target(value: str) -> str:
    """`-` reads the URL from standard input, keeping it out of shell history and `ps`."""
    return sys.stdin.readline().strip() if value == "-" else value.strip()


@app.command("add")
@handle_errors
def add(
    name: Annotated[str, typer.Option("--name", help="A name, unique per client.")],
    client: ClientOpt = None,
    apprise: Annotated[
        str | None,
        typer.Option(
            "--apprise",
            help="An apprise URL (mailto://, slack://, msteams://, ntfy://, pover://, tgram://, ...); `-` reads it from standard input.",
        ),
    ] = None,
    webhook: Annotated[
        str | None,
        typer.Option(
            "--webhook", help="A URL to POST signed JSON to; `-` reads it from standard input."
        ),
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret", help="The webhook's signing secret (default: generated and shown once)."
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Add a channel. The target is encrypted in the store and never shown again."""
    from sitekeeper.notify import NOTIFIERS
    from sitekeeper.notify.channels import InvalidChannel, create_channel

    if (apprise is None) == (webhook is None):
        fail("give exactly one of --apprise URL or --webhook URL", code=EXIT_INVALID)
    if secret and webhook is None:
        fail("--secret is for --webhook channels", code=EXIT_INVALID)
    kind, target = ("apprise", apprise) if apprise is not None else ("webhook", webhook)
    assert target is not None
    box = _box()
    store = open_store()
    try:
        with store.session() as session, session.begin():
            try:
                channel, generated = create_channel(
                    session,
                    box,
                    NOTIFIERS,
                    client_key=client,
                    name=name,
                    kind=kind,
                    target=_target(target),
                    secret=secret,
                    now=_now(),
                )
            except InvalidChannel as err:
                fail(str(err), code=EXIT_INVALID)
            out: dict[str, Any] = {
                "id": channel.id,
                "client": client,
                "name": channel.name,
                "kind": kind,
                "target": channel.target_hint,
                "secret": generated,
            }
    finally:
        store.close()
    if json:
        print_json(out)
        return
    where = f"client {client}" if client else "the MSP"
    console.print(
        f"added {kind} channel {escape(out['name'])!r} for {where}: {escape(out['target'])}",
        highlight=False,
    )
    if generated:
        console.print(
            f"signing secret (shown once, keep it with the receiver): {generated}",
            highlight=False,
        )


@app.command("list")
@handle_errors
def list_(client: ClientOpt = None, json: JsonOpt = False) -> None:
    """Every channel: kind, redacted target, state, last error (never a target or secret)."""
    from sitekeeper.notify.channels import list_channels

    store = open_store()
    try:
        with store.session() as session:
            rows = list_channels(session, client)
    finally:
        store.close()
    if json:
        print_json(
            {
                "items": [
                    {
                        **r.as_dict(),
                        "last_error_at": iso(r.last_error_at),
                        "last_sent_at": iso(r.last_sent_at),
                        "created_at": iso(r.created_at),
                    }
                    for r in rows
                ]
            }
        )
        return
    if not rows:
        console.print("no channels yet: add one with `sitekeeper channel add`")
        return
    now = _now()
    table = Table(box=None, header_style="bold")
    for column in ("client", "name", "kind", "target", "state", "last sent", "last error"):
        table.add_column(column)
    for r in rows:
        error = r.disabled_reason if r.state == "disabled" else r.last_error
        when = f" ({ago(r.last_error_at, now)})" if error and r.last_error_at else ""
        table.add_row(
            escape(r.client or "(MSP)"),
            escape(r.name),
            r.kind,
            escape(r.target),
            r.state,
            ago(r.last_sent_at, now),
            escape((error or "") + when),
        )
    console.print(table)


@app.command("test")
@handle_errors
def send_test(name: NameArg, client: ClientOpt = None, json: JsonOpt = False) -> None:
    """Send a test message now, through the outbox, and say what happened."""
    from sitekeeper.db.models import Client
    from sitekeeper.notify.channels import find_channel
    from sitekeeper.notify.outbox import SENT, enqueue_claimed

    box = _box()
    store = open_store()
    try:
        with store.session() as session, session.begin():
            channel = find_channel(session, name, client)
            owner = session.get(Client, channel.client_id) if channel.client_id else None
            claim = enqueue_claimed(
                session,
                client_id=channel.client_id,
                channel_id=channel.id,
                kind="test",
                idempotency_key=f"test:{channel.id}:{uuid.uuid4().hex}",
                payload={
                    "event": "test",
                    "channel": channel.name,
                    "client": owner.name if owner else None,
                },
                now=_now(),
            )
            label = f"{channel.kind} channel {channel.name!r} ({channel.target_hint})"
        started = time.monotonic()
        outcome = asyncio.run(_send_now(store, box, claim))
        elapsed = time.monotonic() - started
    finally:
        store.close()
    delivered = outcome.state == SENT
    if json:
        print_json(
            {
                "channel": name,
                "delivered": delivered,
                "error": outcome.error,
                "permanent": outcome.permanent,
                "seconds": round(elapsed, 3),
            }
        )
    elif delivered:
        console.print(f"✔ delivered to {escape(label)} in {elapsed:.1f} s", highlight=False)
    else:
        console.print(f"✖ not delivered to {escape(label)}: {escape(outcome.error or '')}")
        if outcome.permanent:
            console.print(
                "this error is permanent, so the channel is now disabled: fix the receiver, "
                f"then `sitekeeper channel enable {name}` (or remove and add it again)"
            )
    if not delivered:
        raise typer.Exit(EXIT_ERROR)


async def _send_now(store: Any, box: Any, claim: Any) -> Any:
    from sitekeeper.notify.outbox import RetryPolicy
    from sitekeeper.notify.worker import OutboxWorker, WorkerOptions
    from sitekeeper.protocols.http import HttpSessions

    http = HttpSessions()
    # One attempt: a test that fails now is reported now, not retried behind the user's back.
    options = WorkerOptions(retry=RetryPolicy(max_attempts=1))
    worker_log = logging.getLogger("sitekeeper.notify.worker")
    level = worker_log.level
    worker_log.setLevel(logging.ERROR)  # the command says what happened itself
    try:
        return await OutboxWorker(store, box, http=http, options=options).deliver(claim)
    finally:
        worker_log.setLevel(level)
        await http.close()


def _change(name: str, client: str | None, action: str) -> str:
    from sitekeeper.notify.channels import find_channel, remove_channel, set_enabled

    store = open_store()
    try:
        with store.session() as session, session.begin():
            channel = find_channel(session, name, client)
            label = f"channel {channel.name!r}"
            if action == "remove":
                remove_channel(session, channel, _now())
            else:
                set_enabled(session, channel, action == "enable", _now())
    finally:
        store.close()
    return label


@app.command("remove")
@handle_errors
def remove(name: NameArg, client: ClientOpt = None) -> None:
    """Remove a channel. Its unsent notifications fail ("the channel was removed")."""
    console.print(f"removed {escape(_change(name, client, 'remove'))}", highlight=False)


@app.command("enable")
@handle_errors
def enable(name: NameArg, client: ClientOpt = None) -> None:
    """Enable a channel again (after a permanent error was fixed, or `disable`)."""
    console.print(f"enabled {escape(_change(name, client, 'enable'))}", highlight=False)


@app.command("disable")
@handle_errors
def disable(name: NameArg, client: ClientOpt = None) -> None:
    """Stop sending to a channel; its notifications fail at once until it is enabled."""
    console.print(f"disabled {escape(_change(name, client, 'disable'))}", highlight=False)
