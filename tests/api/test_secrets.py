"""No secret and no credentials reference's value in any response: every operation in the
OpenAPI document is called as the admin with acme's ids (acme's router has
`credentials: vault/acme-router`), and the raw bodies are searched."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sitekeeper.db import models as m
from tests.api.conftest import World
from tests.api.test_tenancy import OPERATIONS, Checker, Ctx, document_operations, fill

NEVER = ("vault/acme-router", "credentials_ref", '"credentials"', "$argon2", '"entry"')


def test_no_response_carries_a_secret_or_a_credentials_reference(
    api: TestClient, world: World
) -> None:
    checker = Checker(Ctx(world, api))
    secrets = [p.token for p in world.personas.values()]
    bodies: dict[str, str] = {}
    for method, path in document_operations(api):
        op = OPERATIONS[(method, path)]
        target = op.targets[0]
        url = fill(path, op.params(checker.ctx, "alice", target))
        r = checker.call(method, url, op, "alice", target)
        assert r.status_code < 300, (method, url, r.text)
        bodies[f"{method} {url}"] = r.text
    assert len(bodies) == len(OPERATIONS)
    for where, text in bodies.items():
        for word in NEVER:
            assert word not in text, f"{where} shows {word}"
        for token in secrets:
            assert token not in text, f"{where} shows a persona's token"
        assert "token_hash" not in text and "password_hash" not in text, where
    router = checker.ctx.ids(m.Device, "acme")  # the first device of acme
    assert '"has_credentials":true' in bodies[f"GET /api/v1/devices/{router}"]
