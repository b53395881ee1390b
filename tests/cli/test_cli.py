"""The CLI as a user runs it: exit codes, --json, clear errors; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sitekeeper.cli.app import app

runner = CliRunner()
INVALID = Path(__file__).parents[1] / "inventory" / "invalid"


def site(port: int, dead_port: int) -> str:
    return f"""
defaults: {{interval: 1s, retry_interval: 1s, max_attempts: 2, timeout: 500ms}}
clients:
  - id: acme
    name: Acme Dental
    sites:
      - id: hq
        devices:
          - id: nvr
            kind: nvr
            address: 127.0.0.1
            profile_checks: false
            checks:
              - {{type: tcp, name: admin, port: {port}}}
          - id: cam
            kind: camera
            address: 127.0.0.1
            depends_on: [nvr]
            profile_checks: false
            checks:
              - {{type: tcp, name: rtsp, port: {dead_port}}}
"""


@pytest.fixture
def listener() -> Iterator[tuple[int, int]]:
    """A TCP port that accepts, and one where nothing listens."""
    import socket

    live = socket.socket()
    live.bind(("127.0.0.1", 0))
    live.listen(64)
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()
    try:
        yield live.getsockname()[1], dead_port
    finally:
        live.close()


@pytest.fixture
def inventory_file(tmp_path: Path, listener: tuple[int, int]) -> Path:
    path = tmp_path / "acme.yaml"
    path.write_text(site(*listener), encoding="utf-8")
    return path


def test_validate_says_valid_and_counts(inventory_file: Path) -> None:
    result = runner.invoke(app, ["inventory", "validate", str(inventory_file)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "2 device(s)" in result.output


def test_validate_of_an_invalid_file_exits_2_and_lists_file_and_line() -> None:
    path = INVALID / "unknown_kind.yaml"
    result = runner.invoke(app, ["inventory", "validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:8" in result.output and "allowed: router" in result.output


def test_validate_json_lists_problems_for_scripts() -> None:
    result = runner.invoke(
        app, ["inventory", "validate", "--json", str(INVALID / "bad_address.yaml")]
    )
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["valid"] is False and data["problems"][0]["line"] == 9


def test_apply_is_idempotent_and_export_round_trips(
    env_store: str, inventory_file: Path, tmp_path: Path
) -> None:
    first = runner.invoke(app, ["inventory", "apply", "--json", str(inventory_file)])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["checks"]["added"] == 2
    second = runner.invoke(app, ["inventory", "apply", "--json", str(inventory_file)])
    assert json.loads(second.stdout)["unchanged"] == 2
    out = tmp_path / "export.yaml"
    exported = runner.invoke(app, ["inventory", "export", "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    again = runner.invoke(app, ["inventory", "apply", "--json", str(out)])
    data = json.loads(again.stdout)
    assert data["added"] == data["changed"] == data["retired"] == []


def test_apply_of_an_invalid_file_changes_nothing(env_store: str, inventory_file: Path) -> None:
    runner.invoke(app, ["inventory", "apply", str(inventory_file)])
    broken = inventory_file.read_text().replace("kind: camera", "kind: kamera")
    bad = inventory_file.with_name("bad.yaml")
    bad.write_text(broken)
    result = runner.invoke(app, ["inventory", "apply", str(bad)])
    assert result.exit_code == 2
    status = runner.invoke(app, ["status", "--json"])
    assert json.loads(status.stdout)["devices"] == 2


def test_status_without_an_inventory_says_what_to_do(env_store: str) -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0
    assert "inventory apply" in result.output


def test_check_run_shows_what_each_probe_saw(env_store: str, inventory_file: Path) -> None:
    runner.invoke(app, ["inventory", "apply", str(inventory_file)])
    ok = runner.invoke(app, ["check", "run", "nvr", "--json"])
    assert ok.exit_code == 0, ok.output
    [row] = json.loads(ok.stdout)
    assert row["status"] == "OK" and row["values"]["connect_ms"] >= 0 and row["log"]
    bad = runner.invoke(app, ["check", "run", "acme/cam"])
    assert bad.exit_code == 3
    assert "CRIT" in bad.output and "refused" in bad.output


def test_check_run_of_an_unknown_device_lists_known_ones(
    env_store: str, inventory_file: Path
) -> None:
    runner.invoke(app, ["inventory", "apply", str(inventory_file)])
    result = runner.invoke(app, ["check", "run", "nope"])
    assert result.exit_code == 1
    assert "known devices: cam, nvr" in result.output


def test_an_unreachable_database_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(
        "SITEKEEPER_DATABASE_URL", "postgresql+psycopg://u:pw@127.0.0.1:9/x?connect_timeout=2"
    )
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert "cannot reach the database" in result.output and "pw" not in result.output


def test_lab_commands_without_a_running_lab_say_how_to_start_one() -> None:
    result = runner.invoke(app, ["lab", "fail", "core-switch", "--lab", "127.0.0.1:9"])
    assert result.exit_code == 1
    assert "sitekeeper lab up" in result.output


# -- `sitekeeper up` as a real process ----------------------------------------------------


def _sitekeeper(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sitekeeper", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _status(env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "sitekeeper", "status", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_up_monitors_until_interrupted_and_stops_cleanly(
    env_store: str, inventory_file: Path
) -> None:
    """...and a second `up` on the same store is refused (a file lock on SQLite, an
    advisory lock on PostgreSQL)."""
    env = dict(os.environ)
    import socket as _socket

    probe = _socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    proc = _sitekeeper(
        "up", "--inventory", str(inventory_file), "--listen", f"127.0.0.1:{port}", env=env
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            data = _status(env)
            items = {d["key"]: d for d in data["items"]}  # type: ignore[union-attr]
            if items and items["nvr"]["status"] == "UP" and items["cam"]["status"] == "DOWN":
                break
            if proc.poll() is not None:
                raise AssertionError(proc.communicate()[0])
            assert time.monotonic() < deadline, data
            time.sleep(0.3)
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
            assert r.read() == b'{"status":"ready"}'
        second = subprocess.run(
            [sys.executable, "-m", "sitekeeper", "up", "--no-web"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert second.returncode == 1
        assert "already running" in second.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert "stopped cleanly" in out


def test_users_and_tokens_from_the_shell(env_store: str, inventory_file: Path) -> None:
    runner.invoke(app, ["inventory", "apply", str(inventory_file)])
    pw = "correct horse battery staple\n"
    ok = runner.invoke(
        app,
        ["user", "create", "ann@example.com", "--role", "admin", "--password-stdin", "--json"],
        input=pw,
    )
    assert ok.exit_code == 0, ok.output
    weak = runner.invoke(
        app, ["user", "create", "x@example.com", "--password-stdin"], input="short\n"
    )
    assert weak.exit_code == 2 and "at least 12 characters" in weak.output
    bad_client = runner.invoke(
        app,
        [
            "user",
            "create",
            "c@example.com",
            "--role",
            "client",
            "--client",
            "nope",
            "--password-stdin",
        ],
        input=pw,
    )
    assert bad_client.exit_code == 1 and "known clients: acme" in bad_client.output
    tech = runner.invoke(
        app,
        ["user", "create", "tech@example.com", "--assign", "acme", "--password-stdin"],
        input=pw,
    )
    assert tech.exit_code == 0, tech.output
    users = json.loads(runner.invoke(app, ["user", "list", "--json"]).stdout)
    assert {u["email"]: u["clients"] for u in users} == {
        "ann@example.com": [],
        "tech@example.com": ["acme"],
    }
    assert "password" not in json.dumps(users)
    made = json.loads(
        runner.invoke(
            app, ["token", "create", "--user", "ann@example.com", "--name", "prom", "--json"]
        ).stdout
    )
    assert made["token"].startswith("skt_") and made["scopes"] == ["read"]
    listed = runner.invoke(app, ["token", "list", "--json"]).stdout
    assert made["token"] not in listed
    assert runner.invoke(app, ["token", "revoke", str(made["id"])]).exit_code == 0
    assert json.loads(runner.invoke(app, ["token", "list", "--json"]).stdout)[0]["revoked"] is True


def test_a_client_user_cannot_get_a_write_token(env_store: str, inventory_file: Path) -> None:
    runner.invoke(app, ["inventory", "apply", str(inventory_file)])
    pw = "correct horse battery staple\n"
    made = runner.invoke(
        app,
        [
            "user",
            "create",
            "office@acme.example",
            "--role",
            "client",
            "--client",
            "acme",
            "--password-stdin",
        ],
        input=pw,
    )
    assert made.exit_code == 0, made.output
    refused = runner.invoke(
        app, ["token", "create", "--user", "office@acme.example", "--name", "x", "--scope", "write"]
    )
    assert refused.exit_code == 2
    assert "read-only" in refused.output


def test_incidents_from_the_shell(env_store: str, inventory_file: Path) -> None:
    from sitekeeper.clock import SystemClock
    from sitekeeper.incidents.correlate import Policy
    from sitekeeper.incidents.worker import IncidentWorker
    from sitekeeper.observation import Observation
    from sitekeeper.results.ingest import Envelope, Ingestor
    from sitekeeper.results.store import Store

    runner.invoke(app, ["inventory", "apply", str(inventory_file)])
    assert runner.invoke(app, ["incidents"]).exit_code == 0
    store = Store.from_url(env_store)
    try:
        ingestor = Ingestor(store.engine)
        ingestor.refresh()
        now = SystemClock().now() - 60  # a minute ago: the shell's actions come after
        for seq in (1, 2):  # max_attempts 2: the cam's check goes hard on the second failure
            ingestor.ingest(
                [
                    Envelope(
                        "t",
                        seq * 10 + i,
                        Observation(info.id, now + seq, info.device_key != "cam", error="refused"),
                    )
                    for i, info in enumerate(ingestor.catalog.checks.values())
                ]
            )
        worker = IncidentWorker(store, Policy(hold_down_s=0))
        worker.reload()
        worker.tick(now + 3)
        worker.tick(now + 4)
    finally:
        store.close()
    listed = runner.invoke(app, ["incidents", "--json"])
    assert listed.exit_code == 3
    [incident] = json.loads(listed.stdout)
    assert incident["root"] == "cam" and incident["state"] == "open"
    assert runner.invoke(app, ["incident", "ack", str(incident["id"])]).exit_code == 0
    runner.invoke(app, ["incident", "comment", str(incident["id"]), "replaced the PoE injector"])
    shown = json.loads(
        runner.invoke(app, ["incident", "show", str(incident["id"]), "--json"]).stdout
    )
    assert [e["kind"] for e in shown["timeline"]][-2:] == ["acked", "comment"]
    assert runner.invoke(app, ["incident", "resolve", str(incident["id"])]).exit_code == 0
    again = runner.invoke(app, ["incident", "resolve", str(incident["id"])])
    assert again.exit_code == 1 and "already resolved" in again.output
    assert runner.invoke(app, ["incidents"]).exit_code == 0
    missing = runner.invoke(app, ["incident", "show", "999"])
    assert missing.exit_code == 1 and "no incident 999" in missing.output
