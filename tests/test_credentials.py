"""Device credentials: stored encrypted, listed without values, resolved only for probes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sitekeeper.cli.app import app
from sitekeeper.credentials import CredentialError, resolve_all, set_credential, validate
from sitekeeper.db import models as m
from sitekeeper.inventory.apply import apply_inventory
from sitekeeper.inventory.validate import parse_inventory
from sitekeeper.results.catalog import load_catalog
from sitekeeper.results.store import Store
from sitekeeper.secrets import SecretBox, generate_key

runner = CliRunner()
COMMUNITY = "s3cret-community-x9"


def test_bad_credentials_are_refused_with_a_clear_message() -> None:
    with pytest.raises(CredentialError, match="needs a community"):
        validate("snmp", {"version": "2c"})
    with pytest.raises(CredentialError, match="at least 8"):
        validate("snmp", {"version": "3", "user": "u", "auth_protocol": "sha", "auth_key": "short"})
    with pytest.raises(CredentialError, match="privacy needs authentication"):
        validate(
            "snmp", {"version": "3", "user": "u", "priv_protocol": "aes", "priv_key": "12345678"}
        )
    with pytest.raises(CredentialError, match="unknown kind"):
        validate("ldap", {})


def test_values_are_encrypted_at_rest_and_resolved_for_the_probe(store: Store) -> None:
    box = SecretBox(generate_key())
    inventory = "clients:\n  - id: acme\n    sites:\n      - id: hq\n        devices:\n          - {id: sw, kind: switch, address: 127.0.0.1, credentials: acme/switches}\n"
    with store.session() as s:
        apply_inventory(s, parse_inventory(inventory), 1000.0)
        set_credential(
            s, box, "acme/switches", "snmp", {"version": "2c", "community": COMMUNITY}, 1000.0
        )
        s.commit()
    with store.session() as s:
        row = s.scalar(select(m.Credential))
        assert row is not None and COMMUNITY not in row.data_enc
        catalog = load_catalog(s, credentials=resolve_all(s, box))
    [info, *_] = catalog.checks.values()
    assert info.credentials is not None and info.credentials["community"] == COMMUNITY
    assert COMMUNITY not in repr(info)


def test_the_cli_never_shows_a_value(env_store: str, tmp_path: Path) -> None:
    made = runner.invoke(
        app,
        ["credentials", "set", "acme/switches", "--kind", "snmp", "--stdin"],
        input=COMMUNITY + "\n",
    )
    assert made.exit_code == 0, made.output
    listed = runner.invoke(app, ["credentials", "list", "--json"])
    assert COMMUNITY not in listed.output
    [row] = json.loads(listed.stdout)
    assert row == {
        **row,
        "name": "acme/switches",
        "kind": "snmp",
        "fields": ["community", "version"],
    }
    v3 = runner.invoke(
        app,
        [
            "credentials",
            "set",
            "acme/v3",
            "--version",
            "3",
            "--user",
            "mon",
            "--auth",
            "sha256",
            "--priv",
            "aes",
            "--stdin",
        ],
        input="authkey-123\nprivkey-456\n",
    )
    assert v3.exit_code == 0, v3.output
    weak = runner.invoke(
        app,
        ["credentials", "set", "x", "--version", "3", "--user", "u", "--auth", "sha", "--stdin"],
        input="short\n",
    )
    assert weak.exit_code == 2 and "at least 8" in weak.output
    assert runner.invoke(app, ["credentials", "remove", "acme/v3"]).exit_code == 0
    gone = runner.invoke(app, ["credentials", "remove", "acme/v3"])
    assert gone.exit_code == 1 and "no credentials named" in gone.output
