"""The notifications page: channels with their state and last error, scoped, never a secret."""

from __future__ import annotations

from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from sitekeeper.notify import NOTIFIERS
from sitekeeper.notify.channels import create_channel
from sitekeeper.secrets import SecretBox
from tests.web.conftest import sign_in
from tests.web.world import World

SECRET_PATH = "T000/B000/XXXXsecretXXXX"


def add_channels(world: World) -> None:
    box = SecretBox(Fernet.generate_key().decode())
    now = world.clock.now()
    with world.store.session() as s:
        for client, name in (("acme", "acme-ops"), ("globex", "globex-owner"), (None, "msp-noc")):
            channel, _ = create_channel(
                s,
                box,
                dict(NOTIFIERS),
                client_key=client,
                name=name,
                kind="webhook",
                target=f"https://hooks.example.net/{SECRET_PATH}/{name}",
                secret="sig",
                now=now,
            )
            if name == "acme-ops":  # it failed for good: the receiver said 410 Gone
                channel.last_error, channel.last_error_at = "410 Gone", now
                channel.enabled, channel.disabled_reason = (
                    False,
                    "the receiver answered 410: permanent",
                )
        s.commit()


def test_an_admin_sees_every_channel_and_the_broken_one_stands_out(
    web: TestClient, world: World
) -> None:
    add_channels(world)
    sign_in(web, "alice@example.com")
    html = web.get("/channels").text
    for name in ("acme-ops", "globex-owner", "msp-noc"):
        assert f'data-channel="{name}"' in html
    assert "cannot deliver: acme-ops" in html and "410" in html
    assert SECRET_PATH not in html


def test_a_technician_sees_their_clients_and_the_msp_wide_channels(
    web: TestClient, world: World
) -> None:
    add_channels(world)
    sign_in(web, "bob@example.com")
    html = web.get("/channels").text
    assert 'data-channel="acme-ops"' in html and 'data-channel="msp-noc"' in html
    assert "globex-owner" not in html


def test_a_client_user_sees_only_their_own(web: TestClient, world: World) -> None:
    add_channels(world)
    sign_in(web, "carol@example.com")
    html = web.get("/channels").text
    assert 'data-channel="globex-owner"' in html and "acme-ops" not in html
