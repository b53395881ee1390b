"""POST /inventory/apply: the same validation as `sitekeeper inventory validate|apply`, over
HTTP. The body is the inventory file (YAML) or JSON of the same shape. Every problem comes
back at once as 422 `invalid_inventory`, with file, line, path and message; nothing is applied
unless the whole file is valid.

Who may apply: an admin anything; a technician only a file whose clients are all among their
assigned clients (so they never create a client); client users never.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from sitekeeper.api.deps import ClockDep, SessionDep, WriteUser
from sitekeeper.api.errors import ApiError
from sitekeeper.api.routes._common import WRITE_ERRORS, error_doc
from sitekeeper.api.schemas import ApplyResult, CheckCounts
from sitekeeper.auth.principal import Principal
from sitekeeper.db import models as m
from sitekeeper.errors import InventoryError, Problem
from sitekeeper.inventory.apply import apply_inventory, inventory_version
from sitekeeper.inventory.validate import ValidInventory, parse_inventory

router = APIRouter(tags=["inventory"])

SOURCE = "<request>"
YAML_TYPES = frozenset(
    {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"}
)
BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The inventory file (docs/inventory.md): a mapping with `clients:` "
        "(and optional `defaults:`), as YAML (also sent as text/plain) or as JSON.",
        "content": {
            "application/yaml": {"schema": {"type": "object"}},
            "text/plain": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


@dataclass(frozen=True)
class InventoryBody:
    text: str
    is_json: bool

    def parse(self) -> ValidInventory:
        if not self.is_json:
            return parse_inventory(self.text, SOURCE)
        try:
            data = json.loads(self.text)
        except json.JSONDecodeError as err:
            raise InventoryError(
                [Problem(SOURCE, err.lineno, "", f"not valid JSON: {err.msg}")]
            ) from None
        try:  # JSON is almost always YAML too: then the line numbers are the body's own
            same = yaml.safe_load(self.text) == data
        except yaml.YAMLError:
            same = False
        if same:
            return parse_inventory(self.text, SOURCE)
        try:  # tabs, exponents without a dot ...: validate the data, without line numbers
            return parse_inventory(yaml.safe_dump(data, sort_keys=False), SOURCE)
        except InventoryError as err:
            raise InventoryError(
                [Problem(p.file, None, p.path, p.message) for p in err.problems]
            ) from None


async def inventory_body(request: Request) -> InventoryBody:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and media not in YAML_TYPES:
        raise ApiError(
            415,
            "send the inventory as `Content-Type: application/yaml` (or text/plain, or JSON "
            "as application/json)",
        )
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InventoryError(
            [Problem(SOURCE, None, "", f"not UTF-8 text ({err.reason})")]
        ) from None
    return InventoryBody(text=text, is_json=media == "application/json")


def authorize(session: Session, principal: Principal, valid: ValidInventory) -> None:
    if principal.client_ids is None:
        return
    mine = sorted(
        session.scalars(select(m.Client.key).where(m.Client.id.in_(sorted(principal.client_ids))))
    )
    # The same answer for a client that exists and one that does not: nothing is revealed.
    for client in valid.inventory.clients:
        if client.id not in mine:
            raise ApiError(
                403,
                f"this file has client {client.id!r}, which is not one of your assigned clients "
                f"({', '.join(mine) or 'none'}); ask an admin to apply it",
            )


@router.post(
    "/inventory/apply",
    response_model=ApplyResult,
    summary="Validate and apply an inventory file",
    openapi_extra=BODY_DOC,
    responses={**WRITE_ERRORS, 415: error_doc("The body is neither YAML nor JSON")},
)
def apply(
    principal: WriteUser,
    body: Annotated[InventoryBody, Depends(inventory_body)],
    session: SessionDep,
    clock: ClockDep,
    dry_run: Annotated[bool, Query(description="Validate and report; change nothing.")] = False,
) -> ApplyResult:
    valid = body.parse()
    authorize(session, principal, valid)
    report = apply_inventory(session, valid, clock.now(), actor=principal.email, dry_run=dry_run)
    version = inventory_version(session)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return ApplyResult(
        dry_run=dry_run,
        changed_anything=report.changed_anything,
        added=report.added,
        changed=report.changed,
        retired=report.retired,
        unchanged=report.unchanged,
        checks=CheckCounts(
            added=report.checks_added, changed=report.checks_changed, retired=report.checks_retired
        ),
        inventory_version=version,
    )
