"""Device credentials: named, encrypted at rest, resolved only when a probe needs them.

An inventory says `credentials: acme/switches`; `sitekeeper credentials set acme/switches
--kind snmp ...` stores the values encrypted with the store's secret key. Probes get them
through `Target.credentials` at run time; nothing else ever sees them: they are not logged,
not returned by the API, not exported.

Kinds and their fields:
    snmp      version (1, 2c, 3); community (v1/v2c); user, auth_protocol, auth_key,
              priv_protocol, priv_key (v3)
    password  username (optional), password
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sitekeeper.db import models as m
from sitekeeper.errors import NotFound, SitekeeperError
from sitekeeper.secrets import SecretBox

KINDS: dict[str, tuple[str, ...]] = {
    "snmp": (
        "version",
        "community",
        "user",
        "auth_protocol",
        "auth_key",
        "priv_protocol",
        "priv_key",
    ),
    "password": ("username", "password"),
}
SNMP_AUTH = ("md5", "sha", "sha224", "sha256", "sha384", "sha512")
SNMP_PRIV = ("des", "aes", "aes128")


class CredentialError(SitekeeperError):
    pass


@dataclass(frozen=True, slots=True)
class CredentialInfo:
    """What may be shown about a credential: its name and kind, never a value."""

    name: str
    kind: str
    fields: tuple[str, ...]  # which fields are set
    updated_at: float


def validate(kind: str, values: Mapping[str, str]) -> dict[str, str]:
    if kind not in KINDS:
        raise CredentialError(f"unknown kind {kind!r}; kinds are: {', '.join(KINDS)}")
    unknown = [k for k in values if k not in KINDS[kind]]
    if unknown:
        raise CredentialError(f"{kind} credentials have no field {unknown[0]!r}")
    data = {k: v for k, v in values.items() if v}
    if kind == "password" and not data.get("password"):
        raise CredentialError("a password credential needs a password")
    if kind == "snmp":
        version = data.setdefault("version", "2c")
        if version not in ("1", "2c", "3"):
            raise CredentialError("SNMP version must be 1, 2c or 3")
        if version in ("1", "2c") and not data.get("community"):
            raise CredentialError(f"SNMP v{version} needs a community")
        if version == "3":
            if not data.get("user"):
                raise CredentialError("SNMP v3 needs a user")
            auth = data.get("auth_protocol")
            if auth is not None and auth not in SNMP_AUTH:
                raise CredentialError(f"auth protocol must be one of {', '.join(SNMP_AUTH)}")
            if auth and len(data.get("auth_key", "")) < 8:
                raise CredentialError("an SNMP v3 auth key needs at least 8 characters (RFC 3414)")
            priv = data.get("priv_protocol")
            if priv is not None and priv not in SNMP_PRIV:
                raise CredentialError(f"privacy protocol must be one of {', '.join(SNMP_PRIV)}")
            if priv and not auth:
                raise CredentialError("SNMP v3 privacy needs authentication too")
            if priv and len(data.get("priv_key", "")) < 8:
                raise CredentialError("an SNMP v3 privacy key needs at least 8 characters")
    return data


def set_credential(
    session: Session, box: SecretBox, name: str, kind: str, values: Mapping[str, str], now: float
) -> bool:
    """Create or replace; True when it was new."""
    data = validate(kind, values)
    blob = box.encrypt(json.dumps(data, sort_keys=True))
    row = session.scalar(select(m.Credential).where(m.Credential.name == name))
    if row is None:
        session.add(
            m.Credential(name=name, kind=kind, data_enc=blob, created_at=now, updated_at=now)
        )
        return True
    row.kind, row.data_enc, row.updated_at = kind, blob, now
    return False


def list_credentials(session: Session, box: SecretBox) -> list[CredentialInfo]:
    out = []
    for row in session.scalars(select(m.Credential).order_by(m.Credential.name)):
        fields = tuple(sorted(json.loads(box.decrypt(row.data_enc))))
        out.append(CredentialInfo(row.name, row.kind, fields, row.updated_at))
    return out


def remove_credential(session: Session, name: str) -> None:
    row = session.scalar(select(m.Credential).where(m.Credential.name == name))
    if row is None:
        raise NotFound(f"no credentials named {name!r}; see `sitekeeper credentials list`")
    session.delete(row)


def resolve_all(session: Session, box: SecretBox | None) -> dict[str, dict[str, str]]:
    """Every credential by name, decrypted, for the probes (kept in memory only)."""
    if box is None:
        return {}
    return {
        row.name: {"kind": row.kind, **json.loads(box.decrypt(row.data_enc))}
        for row in session.scalars(select(m.Credential))
    }
