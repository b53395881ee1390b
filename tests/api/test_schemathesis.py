"""Property-based tests of the whole API against its own OpenAPI document (schemathesis),
in-process, as the admin: every operation, up to 100 examples each, with schemathesis's
default checks (no 5xx, status codes, content types and bodies as documented, ...).

Runs on SQLite: what it looks for (crashes, undocumented answers) rarely depends on the
database, and the tenancy and behaviour tests run on both. For a run on PostgreSQL, point
SITEKEEPER_TEST_FUZZ_URL at an empty scratch database.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from sqlalchemy import create_engine

from sitekeeper.api.app import create_app
from sitekeeper.auth import accounts
from sitekeeper.clock import FakeClock
from sitekeeper.db import models as m
from sitekeeper.results.store import Store
from tests.api.conftest import World, _populate

STATE: dict[str, Any] = {}
CALLS: Counter[str] = Counter()


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "sitekeeper.db"
    # Another (empty, migratable) database for a one-off run, e.g. a PostgreSQL scratch db.
    store = Store.from_url(os.environ.get("SITEKEEPER_TEST_FUZZ_URL") or f"sqlite:///{path}")
    world = _populate(store, FakeClock(start=1_800_000_000.0))
    STATE["world"] = world
    APP.app = create_app(store, clock=world.clock)
    try:
        yield world
    finally:
        documented = {k: n for k, n in CALLS.items() if k in DOCUMENTED}
        probes = sum(CALLS.values()) - sum(documented.values())
        print(  # the figures, for `pytest -s`
            f"\nschemathesis: {len(documented)} operations, {sum(documented.values())} examples"
            f" (fewest {min(documented.values(), default=0)}), {probes} other-method probes"
        )
        store.close()


class CurrentApp:
    """The app under test, for an OpenAPI document loaded at import time: it answers for the
    module's world once the fixture made one. (schemathesis's `from_fixture` does not run
    under pytest 9.2: it sets `Node._nodeid`, which pytest no longer has.)"""

    def __init__(self) -> None:
        # The document does not touch the store; the engine never connects.
        self.app: Any = create_app(Store(create_engine("sqlite://")))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


# Every default check runs. One is told that 422 is an answer to schema-valid requests too:
# some rules are beyond a schema (`since` before `until`, a known client key, a whole
# inventory's consistency), and they answer with the same 422 and error body as the rest.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]
            }
        }
    }
)
APP = CurrentApp()
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP, config=CONFIG)
DOCUMENTED = {
    f"{method.upper()} {path}"
    for path, item in schema.raw_schema["paths"].items()
    for method in item
}


@schema.auth()
class AliceToken:
    """A fresh admin token whenever the last one stops working: the fuzzer may well revoke
    the token it is using (DELETE /tokens/{id} with a small id), and that is allowed."""

    def get(self, case: Any, ctx: Any) -> str:
        world: World | None = STATE.get("world")
        if world is None:  # cases made while collecting: a 401 makes schemathesis ask again
            return "not-yet"
        with world.store.session() as s:
            alice = s.get(m.User, world.personas["alice"].user_id)
            assert alice is not None
            token, _ = accounts.create_token(s, alice, "fuzz", ["read", "write"], world.clock.now())
            s.commit()
        return token

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.parametrize()
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_matches_its_openapi_document(case: Any, fuzz_world: World) -> None:
    if case.path == "/api/v1/inventory/apply":
        # Never really apply what the fuzzer writes: a device it made up (any address) must
        # not be probed by a later POST /checks/{id}/run. Real applies are tested elsewhere.
        case.query = {**(case.query or {}), "dry_run": "true"}
    CALLS[f"{case.method} {case.path}"] += 1
    case.call_and_validate()
