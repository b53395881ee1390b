"""`sitekeeper channel ...` as a user runs it, on SQLite and PostgreSQL, against a webhook
receiver on loopback (in a thread: the command runs its own event loop)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from sitekeeper.cli.channels import app
from sitekeeper.db import models as m
from sitekeeper.db.base import Base
from sitekeeper.results.store import Store

runner = CliRunner()


@pytest.fixture
def cli_store(env_store: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("SITEKEEPER_SECRET_KEY", raising=False)
    store = Store.from_url(env_store)
    try:
        Base.metadata.create_all(store.engine, tables=[m.Channel.__table__, m.OutboxItem.__table__])
        with store.session() as session, session.begin():
            session.add(m.Client(key="acme", name="Acme Dental", created_at=0.0, updated_at=0.0))
    finally:
        store.close()
    return env_store


class Hook(BaseHTTPRequestHandler):
    status = 200
    bodies: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append((dict(self.headers), body))
        self.send_response(type(self).status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[tuple[str, type[Hook]]]:
    handler = type("H", (Hook,), {"status": 200, "bodies": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/in/tok-0123456789abcdef", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run(*args: str, input: str | None = None) -> object:
    return runner.invoke(app, list(args), input=input)


def test_add_prints_a_generated_secret_once_and_list_shows_no_target(
    cli_store: str, hook: tuple[str, type[Hook]], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url, _ = hook
    added = runner.invoke(
        app, ["add", "--client", "acme", "--name", "ops", "--webhook", url, "--json"]
    )
    assert added.exit_code == 0, added.output
    secret = json.loads(added.stdout)["secret"]
    assert len(secret) > 30
    mail = runner.invoke(
        app,
        ["add", "--name", "noc", "--apprise", "-"],
        input="mailto://noc:Pa55-w0rd@smtp.example.com?to=noc@example.com\n",
    )
    assert mail.exit_code == 0, mail.output
    table = runner.invoke(app, ["list"])
    as_json = runner.invoke(app, ["list", "--json"])
    assert table.exit_code == 0 and as_json.exit_code == 0
    assert "E-Mail (mailto://smtp.example.com)" in table.stdout
    assert "http://127.0.0.1:" in table.stdout and "(MSP)" in table.stdout
    items = json.loads(as_json.stdout)["items"]
    assert [(i["client"], i["name"], i["state"]) for i in items] == [
        (None, "noc", "new"),
        ("acme", "ops", "new"),
    ]
    everything = table.stdout + as_json.stdout + caplog.text
    for leaked in (secret, "tok-0123456789abcdef", "Pa55-w0rd"):
        assert leaked not in everything
    # ... nor are they in the store in clear.
    for db in tmp_path.glob("sitekeeper.db*"):  # SQLite: the file and its WAL
        raw = db.read_bytes()
        assert b"Pa55-w0rd" not in raw and b"tok-0123456789abcdef" not in raw


def test_test_delivers_now_and_says_so(cli_store: str, hook: tuple[str, type[Hook]]) -> None:
    url, handler = hook
    runner.invoke(
        app, ["add", "--client", "acme", "--name", "ops", "--webhook", url, "--secret", "shh-123"]
    )
    result = runner.invoke(app, ["test", "ops", "--client", "acme"])
    assert result.exit_code == 0, result.output
    assert "✔ delivered to webhook channel 'ops'" in result.stdout
    [(headers, body)] = handler.bodies
    expected = "sha256=" + hmac.new(b"shh-123", body, hashlib.sha256).hexdigest()
    assert headers["X-Sitekeeper-Signature"] == expected
    assert json.loads(body)["title"] == "TEST: sitekeeper can reach ops"
    [item] = json.loads(runner.invoke(app, ["list", "--json"]).stdout)["items"]
    assert item["state"] == "ok" and item["last_sent_at"]


def test_a_permanent_failure_disables_the_channel_until_it_is_enabled(
    cli_store: str, hook: tuple[str, type[Hook]]
) -> None:
    url, handler = hook
    runner.invoke(app, ["add", "--client", "acme", "--name", "ops", "--webhook", url])
    handler.status = 404
    failed = runner.invoke(app, ["test", "ops", "--json"])
    assert failed.exit_code == 1
    assert json.loads(failed.stdout) | {"seconds": 0} == {
        "channel": "ops",
        "delivered": False,
        "error": "HTTP 404 Not Found",
        "permanent": True,
        "seconds": 0,
    }
    [item] = json.loads(runner.invoke(app, ["list", "--json"]).stdout)["items"]
    assert item["state"] == "disabled"
    assert item["disabled_reason"] == "permanent error: HTTP 404 Not Found"
    assert "disabled" in runner.invoke(app, ["test", "ops"]).stdout  # fails fast, says why
    assert len(handler.bodies) == 1
    handler.status = 200
    assert runner.invoke(app, ["enable", "ops"]).exit_code == 0
    assert runner.invoke(app, ["test", "ops"]).exit_code == 0


def test_a_retryable_failure_is_reported_not_retried_later(
    cli_store: str, hook: tuple[str, type[Hook]]
) -> None:
    url, handler = hook
    runner.invoke(app, ["add", "--name", "ops", "--webhook", url])
    handler.status = 503
    result = runner.invoke(app, ["test", "ops"])
    assert result.exit_code == 1
    assert "HTTP 503" in result.stdout
    [item] = json.loads(runner.invoke(app, ["list", "--json"]).stdout)["items"]
    assert item["state"] == "failing" and item["enabled"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "x"], "exactly one of --apprise URL or --webhook URL"),
        (["--name", "x", "--apprise", "nosuch://y"], "apprise cannot use this URL"),
        (["--name", "x", "--webhook", "ftp://y/z"], "https://"),
        (
            ["--name", "x", "--apprise", "json://h.example", "--secret", "s"],
            "--secret is for --webhook",
        ),
    ],
)
def test_bad_input_is_exit_2_and_adds_nothing(
    cli_store: str, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["add", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert json.loads(runner.invoke(app, ["list", "--json"]).stdout)["items"] == []


def test_names_are_unique_per_client_and_msp_wide(cli_store: str) -> None:
    for client in (["--client", "acme"], []):
        assert (
            runner.invoke(
                app, ["add", *client, "--name", "ops", "--webhook", "https://h.example/a"]
            ).exit_code
            == 0
        )
        again = runner.invoke(
            app, ["add", *client, "--name", "ops", "--webhook", "https://h.example/b"]
        )
        assert again.exit_code == 2 and "already" in again.output


def test_remove_and_unknown_names(cli_store: str) -> None:
    runner.invoke(
        app, ["add", "--client", "acme", "--name", "ops", "--webhook", "https://h.example/a"]
    )
    assert runner.invoke(app, ["remove", "nope"]).exit_code == 1
    assert (
        runner.invoke(
            app, ["add", "--client", "nope", "--name", "x", "--webhook", "https://h.example/a"]
        ).exit_code
        == 1
    )
    assert runner.invoke(app, ["remove", "ops"]).exit_code == 0
    assert json.loads(runner.invoke(app, ["list", "--json"]).stdout)["items"] == []


def test_a_store_made_with_another_key_says_how_to_fix_it(
    cli_store: str, hook: tuple[str, type[Hook]], tmp_path: Path
) -> None:
    url, _ = hook
    runner.invoke(app, ["add", "--name", "ops", "--webhook", url])
    (tmp_path / "data" / "secret.key").unlink()  # the key file was not backed up
    result = runner.invoke(app, ["test", "ops"])
    assert result.exit_code == 1
    assert "encrypted with another key" in result.stdout
