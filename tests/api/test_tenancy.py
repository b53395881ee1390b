"""Tenancy, generated from the OpenAPI document: every operation × every persona, with ids of
acme's and of globex's objects, and without signing in.

    alice  admin                      2xx for both clients' objects
    bob    technician assigned acme   2xx for acme's, 404 for globex's
    carol  client user of globex      404 for acme's, 2xx for globex's reads, 403 for writes
    nobody                            401 everywhere

Lists never hold an item of a client the persona may not see, also when filtered by another
client's ids. `OPERATIONS` says how each operation is exercised; the test fails when it does
not cover exactly the operations in the document, so a new route cannot escape it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from sitekeeper.auth import accounts
from sitekeeper.auth.principal import Role
from sitekeeper.db import models as m
from tests.api.conftest import TWO_CLIENTS, World

PERSONAS = ("alice", "bob", "carol")
CLIENTS = ("acme", "globex")
VISIBLE = {"alice": {"acme", "globex"}, "bob": {"acme"}, "carol": {"globex"}}
MISSING_ID = 999_999

# Path and filter parameters that name a client's object, and the model each is an id of.
CLIENT_OBJECTS: dict[str, type[Any]] = {
    "client_id": m.Client,
    "site_id": m.Site,
    "device_id": m.Device,
    "check_id": m.Check,
    "incident_id": m.Incident,
}


class Access(Enum):
    READ = "read a client's object"  # path ids name acme's or globex's object
    LIST = "list, scoped"  # no client in the path; items must stay in scope
    SELF = "about the caller"
    WRITE = "act on a client's object"
    INVENTORY = "apply a client's inventory"
    TOKENS = "the caller's own tokens"
    TOKEN_WRITE = "create or revoke own tokens"
    ADMIN = "admins only"


OK = "2xx"


def expected(access: Access, persona: str, target: str) -> int | str:
    """What `persona` must get for an operation of this kind on `target`."""
    sees = target in VISIBLE[persona] if target in CLIENTS else True
    if access is Access.READ:
        return OK if sees else 404
    if access in (Access.LIST, Access.SELF, Access.TOKENS):
        return OK
    if access is Access.WRITE:
        return 403 if persona == "carol" else (OK if sees else 404)
    if access is Access.INVENTORY:
        return 403 if persona == "carol" or not sees else OK
    if access is Access.TOKEN_WRITE:  # carol's token is read-only by role
        if persona == "carol":
            return 403
        return 404 if target == "other" and persona != "alice" else OK
    return OK if persona == "alice" else 403  # ADMIN


@dataclass
class Ctx:
    world: World
    api: TestClient
    counter: int = 0

    def ids(self, model: type[Any], client: str) -> int:
        """The first id of `model` that belongs to `client`."""
        with self.world.store.session() as s:
            col = model.id if model is m.Client else model.client_id
            want = self.world.client_ids[client]
            found = s.scalar(select(model.id).where(col == want).order_by(model.id))
            assert found is not None, (model, client)
            return int(found)

    def user_id(self, persona: str) -> int:
        return self.world.personas[persona].user_id

    def fresh_token(self, persona: str) -> int:
        with self.world.store.session() as s:
            user = s.get(m.User, self.user_id(persona))
            assert user is not None
            _, row = accounts.create_token(s, user, "victim", ["read"], self.world.clock.now())
            s.commit()
            return row.id

    def next(self) -> int:
        self.counter += 1
        return self.counter


Params = Callable[[Ctx, str, str], dict[str, int]]  # (ctx, persona, target) -> path params
Body = Callable[[Ctx, str, str], Any]


def client_objects(ctx: Ctx, persona: str, target: str) -> dict[str, int]:
    if target not in CLIENTS:
        return {}
    return {name: ctx.ids(model, target) for name, model in CLIENT_OBJECTS.items()}


def token_of(ctx: Ctx, persona: str, target: str) -> dict[str, int]:
    other = {"alice": "bob", "bob": "carol", "carol": "alice"}[persona]
    return {"token_id": ctx.fresh_token(persona if target == "own" else other)}


def client_inventory(ctx: Ctx, persona: str, target: str) -> str:
    """The part of the world's inventory for one client: applying it changes nothing."""
    data = yaml.safe_load(TWO_CLIENTS)
    data["clients"] = [c for c in data["clients"] if c["id"] == target]
    return yaml.safe_dump(data)


def new_user(ctx: Ctx, persona: str, target: str) -> dict[str, Any]:
    return {"email": f"new{ctx.next()}@example.com", "role": "technician", "clients": ["acme"]}


def dave(ctx: Ctx, persona: str, target: str) -> dict[str, int]:
    with ctx.world.store.session() as s:
        user = s.scalar(select(m.User).where(m.User.email == "dave@example.com"))
        if user is None:
            now = ctx.world.clock.now()
            user = accounts.create_user(
                s, email="dave@example.com", name="Dave", role=Role.TECHNICIAN, now=now
            )
            s.commit()
        return {"user_id": user.id}


def fresh_incident(ctx: Ctx, persona: str, target: str) -> dict[str, int]:
    """A new open incident of `target` for each call: acting on it (ack, resolve) changes
    it, and the next persona must find it as the first one did."""
    if target not in CLIENTS:
        return {}
    from tests.api.conftest import add_incident

    return {"incident_id": add_incident(ctx.world, target)}


@dataclass(frozen=True)
class Op:
    access: Access
    params: Params = client_objects
    body: Body | None = None
    content_type: str = "application/json"
    query: dict[str, str] = field(default_factory=dict)
    # Lists whose items come from both clients in the world: a persona sees exactly its own.
    complete: bool = False

    @property
    def targets(self) -> tuple[str, ...]:
        if self.access in (Access.READ, Access.WRITE, Access.INVENTORY):
            return CLIENTS
        if self.access is Access.TOKEN_WRITE and self.params is token_of:
            return ("own", "other")
        return ("-",)


V1 = "/api/v1"
OPERATIONS: dict[tuple[str, str], Op] = {
    ("GET", f"{V1}/me"): Op(Access.SELF),
    ("GET", f"{V1}/overview"): Op(Access.LIST),
    ("GET", f"{V1}/clients"): Op(Access.LIST, complete=True),
    ("GET", f"{V1}/clients/{{client_id}}"): Op(Access.READ),
    ("GET", f"{V1}/advice/signs"): Op(Access.LIST, complete=True, query={"plan": "all"}),
    ("GET", f"{V1}/clients/{{client_id}}/advice"): Op(
        Access.READ, query={"cost": "500", "trials": "200"}
    ),
    ("GET", f"{V1}/sites"): Op(Access.LIST, complete=True),
    ("GET", f"{V1}/sites/{{site_id}}"): Op(Access.READ),
    ("GET", f"{V1}/devices"): Op(Access.LIST, complete=True),
    ("GET", f"{V1}/devices/{{device_id}}"): Op(Access.READ),
    ("GET", f"{V1}/devices/{{device_id}}/history"): Op(Access.READ, query={"range": "1h"}),
    ("GET", f"{V1}/checks"): Op(Access.LIST, complete=True),
    ("GET", f"{V1}/checks/{{check_id}}"): Op(Access.READ),
    ("GET", f"{V1}/checks/{{check_id}}/history"): Op(Access.READ, query={"range": "1h"}),
    ("POST", f"{V1}/checks/{{check_id}}/run"): Op(Access.WRITE),
    ("GET", f"{V1}/flips"): Op(Access.LIST, complete=True),
    ("POST", f"{V1}/inventory/apply"): Op(
        Access.INVENTORY, body=client_inventory, content_type="application/yaml"
    ),
    ("GET", f"{V1}/incidents"): Op(Access.LIST, complete=True, query={"state": "all"}),
    ("GET", f"{V1}/incidents/{{incident_id}}"): Op(Access.READ),
    ("POST", f"{V1}/incidents/{{incident_id}}/ack"): Op(Access.WRITE, params=fresh_incident),
    ("POST", f"{V1}/incidents/{{incident_id}}/comments"): Op(
        Access.WRITE, params=fresh_incident, body=lambda c, p, t: {"text": "on it"}
    ),
    ("POST", f"{V1}/incidents/{{incident_id}}/resolve"): Op(Access.WRITE, params=fresh_incident),
    ("GET", f"{V1}/tokens"): Op(Access.TOKENS),
    ("POST", f"{V1}/tokens"): Op(Access.TOKEN_WRITE, body=lambda c, p, t: {"name": "t"}),
    ("DELETE", f"{V1}/tokens/{{token_id}}"): Op(Access.TOKEN_WRITE, params=token_of),
    ("GET", f"{V1}/users"): Op(Access.ADMIN),
    ("POST", f"{V1}/users"): Op(Access.ADMIN, body=new_user),
    ("PATCH", f"{V1}/users/{{user_id}}"): Op(
        Access.ADMIN, params=dave, body=lambda c, p, t: {"name": "Dave D."}
    ),
}


def document_operations(api: TestClient) -> dict[tuple[str, str], dict[str, Any]]:
    doc = api.get(f"{V1}/openapi.json").json()
    return {
        (method.upper(), path): op
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


def fill(path: str, params: dict[str, int]) -> str:
    names = re.findall(r"{(\w+)}", path)
    unknown = [n for n in names if n not in params]
    assert not unknown, f"{path}: the test does not know how to fill {unknown}; add it"
    return re.sub(r"{(\w+)}", lambda mt: str(params[mt.group(1)]), path)


def client_ids_in(body: Any, path: str) -> set[int]:
    """Every client id a response body mentions (`client_id` anywhere; a client's own id)."""
    found: set[int] = set()
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "client_id" and isinstance(value, int):
                found.add(value)
            found |= client_ids_in(value, path)
        if path.endswith("/clients") and isinstance(body.get("id"), int) and "key" in body:
            found.add(body["id"])
    elif isinstance(body, list):
        for item in body:
            found |= client_ids_in(item, path)
    return found


class Checker:
    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.failures: list[str] = []
        self.calls = 0

    def call(self, method: str, url: str, op: Op, persona: str | None, target: str) -> Any:
        headers = dict(self.ctx.world.personas[persona].headers) if persona else {}
        kwargs: dict[str, Any] = {"params": op.query, "headers": headers}
        if op.body is not None:
            body = op.body(self.ctx, persona or "alice", target)
            headers["Content-Type"] = op.content_type
            if isinstance(body, str):
                kwargs["content"] = body.encode()
            else:
                kwargs["json"] = body
        self.calls += 1
        return self.ctx.api.request(method, url, **kwargs)

    def expect(self, label: str, response: Any, want: int | str) -> bool:
        status: int = response.status_code
        ok: bool = 200 <= status < 300 if want == OK else status == want
        if not ok:
            self.failures.append(f"{label}: got {status}, want {want}: {response.text[:200]}")
        if not ok or status < 400:
            return ok
        error = response.json().get("error", {})
        if not (isinstance(error, dict) and error.get("code") and error.get("message")):
            self.failures.append(f"{label}: {status} without the common error body")
        return ok

    def visible_ids(self, persona: str) -> set[int]:
        return {self.ctx.world.client_ids[c] for c in VISIBLE[persona]}

    def in_scope(self, label: str, persona: str, path: str, body: Any, complete: bool) -> None:
        seen = client_ids_in(body, path)
        leaked = seen - self.visible_ids(persona)
        if leaked:
            self.failures.append(f"{label}: items of clients {sorted(leaked)} leaked")
        if complete and seen != self.visible_ids(persona):
            self.failures.append(f"{label}: saw clients {sorted(seen)}, want all visible")


def exercise(checker: Checker, method: str, path: str, op: Op) -> None:
    ctx = checker.ctx
    for target in op.targets:
        url = fill(path, op.params(ctx, "alice", target))
        checker.expect(f"nobody {method} {url}", checker.call(method, url, op, None, target), 401)
    for persona in PERSONAS:
        for target in op.targets:
            url = fill(path, op.params(ctx, persona, target))
            label = f"{persona} {method} {url} ({op.access.name}, {target})"
            response = checker.call(method, url, op, persona, target)
            want = expected(op.access, persona, target)
            if checker.expect(label, response, want) and response.status_code < 300:
                checker.in_scope(label, persona, path, response.json(), op.complete)
            if want == 404 and response.status_code == 404:
                same_as_missing(checker, method, path, op, persona, response, label)


def same_as_missing(
    checker: Checker, method: str, path: str, op: Op, persona: str, response: Any, label: str
) -> None:
    """Another client's id answers exactly like an id that does not exist."""
    url = fill(path, dict.fromkeys(re.findall(r"{(\w+)}", path), MISSING_ID))
    missing = checker.call(method, url, op, persona, "-")

    def norm(text: str) -> str:
        return re.sub(r"\d+", "N", text)

    if missing.status_code != 404 or norm(missing.text) != norm(response.text):
        checker.failures.append(f"{label}: 404 differs from a missing id's: {missing.text[:200]}")


def filtered_lists(checker: Checker, path: str, op: Op, doc_op: dict[str, Any]) -> None:
    """List filters given another client's ids still return nothing of that client."""
    filters = [
        p["name"]
        for p in doc_op.get("parameters", [])
        if p["in"] == "query" and p["name"] in CLIENT_OBJECTS
    ]
    for persona in PERSONAS:
        for name in filters:
            for client in CLIENTS:
                value = checker.ctx.ids(CLIENT_OBJECTS[name], client)
                label = f"{persona} GET {path}?{name}={value} ({client}'s)"
                response = checker.ctx.api.get(
                    path, params={name: value}, headers=checker.ctx.world.personas[persona].headers
                )
                checker.calls += 1
                if checker.expect(label, response, OK):
                    checker.in_scope(label, persona, path, response.json(), complete=False)


def test_the_table_covers_exactly_the_documented_operations(api: TestClient) -> None:
    documented = set(document_operations(api))
    missing = sorted(documented - set(OPERATIONS))
    stale = sorted(set(OPERATIONS) - documented)
    assert not missing, f"operations the tenancy test does not exercise (add them): {missing}"
    assert not stale, f"operations in the table but not in the API: {stale}"


def test_every_operation_for_every_persona_respects_tenancy(api: TestClient, world: World) -> None:
    documented = document_operations(api)
    assert set(documented) == set(OPERATIONS)
    checker = Checker(Ctx(world, api))
    for (method, path), op in OPERATIONS.items():
        exercise(checker, method, path, op)
        if op.access is Access.LIST:
            filtered_lists(checker, path, op, documented[(method, path)])
    assert not checker.failures, f"{len(checker.failures)} of {checker.calls} calls:\n" + "\n".join(
        checker.failures
    )
    assert checker.calls > 150
