"""pysnmp as a second, independent oracle (a dev dependency only: never imported by the
package). Its answers are converted to the engine's value types for comparison."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Any

from pysnmp.hlapi.v3arch import asyncio as hl

from sitekeeper.protocols.snmp import (
    AuthProtocol,
    Counter32,
    Counter64,
    Gauge32,
    NoValue,
    Opaque,
    PrivProtocol,
    TimeTicks,
    Value,
    VarBind,
)
from tests.snmp.snmpd import COMMUNITY, USERS, Snmpd

_AUTH = {
    AuthProtocol.NONE: hl.usmNoAuthProtocol,
    AuthProtocol.MD5: hl.usmHMACMD5AuthProtocol,
    AuthProtocol.SHA: hl.usmHMACSHAAuthProtocol,
    AuthProtocol.SHA224: hl.usmHMAC128SHA224AuthProtocol,
    AuthProtocol.SHA256: hl.usmHMAC192SHA256AuthProtocol,
    AuthProtocol.SHA384: hl.usmHMAC256SHA384AuthProtocol,
    AuthProtocol.SHA512: hl.usmHMAC384SHA512AuthProtocol,
}
_PRIV = {
    PrivProtocol.NONE: hl.usmNoPrivProtocol,
    PrivProtocol.DES: hl.usmDESPrivProtocol,
    PrivProtocol.AES: hl.usmAesCfb128Protocol,
}


def _auth_data(profile: str) -> Any:
    if profile == "v1":
        return hl.CommunityData(COMMUNITY, mpModel=0)
    if profile == "v2c":
        return hl.CommunityData(COMMUNITY, mpModel=1)
    user = USERS[profile]
    return hl.UsmUserData(
        user.name,
        user.auth_password or None,
        user.priv_password or None,
        authProtocol=_AUTH[user.auth_protocol],
        privProtocol=_PRIV[user.priv_protocol],
    )


_INTS: dict[str, type[int]] = {
    "Integer": int,
    "Integer32": int,
    "Counter32": Counter32,
    "Gauge32": Gauge32,
    "Unsigned32": Gauge32,
    "TimeTicks": TimeTicks,
    "Counter64": Counter64,
}
_EXCEPTIONS = {
    "NoSuchObject": NoValue.NO_SUCH_OBJECT,
    "NoSuchInstance": NoValue.NO_SUCH_INSTANCE,
    "EndOfMibView": NoValue.END_OF_MIB_VIEW,
}


def convert(value: Any) -> Value:
    kind = type(value).__name__
    if kind in _EXCEPTIONS:
        return _EXCEPTIONS[kind]
    if kind in _INTS:
        return _INTS[kind](int(value))
    if kind == "OctetString":
        return bytes(value.asOctets())
    if kind == "Opaque":
        return Opaque(value.asOctets())
    if kind == "IpAddress":
        return IPv4Address(bytes(value.asOctets()))
    if kind == "ObjectIdentifier":
        return tuple(value)
    if kind == "Null":
        return None
    raise TypeError(f"unexpected pysnmp value type {kind}")


def _varbinds(rows: Any) -> list[VarBind]:
    return [(tuple(name), convert(value)) for name, value in rows]


@dataclass
class Oracle:
    engine: Any
    transport: Any
    auth: Any

    async def _check(self, result: Any) -> list[VarBind]:
        indication, status, index, rows = result
        if indication:
            raise RuntimeError(f"pysnmp: {indication}")
        if status:
            raise RuntimeError(f"pysnmp: {status.prettyPrint()} at {index}")
        return _varbinds(rows)

    def _objects(self, oids: tuple[str, ...]) -> list[Any]:
        return [hl.ObjectType(hl.ObjectIdentity(oid)) for oid in oids]

    async def get(self, *oids: str) -> list[VarBind]:
        ctx = hl.ContextData()
        objects = self._objects(oids)
        return await self._check(
            await hl.get_cmd(self.engine, self.auth, self.transport, ctx, *objects, lookupMib=False)
        )

    async def get_next(self, *oids: str) -> list[VarBind]:
        ctx = hl.ContextData()
        objects = self._objects(oids)
        return await self._check(
            await hl.next_cmd(
                self.engine, self.auth, self.transport, ctx, *objects, lookupMib=False
            )
        )

    async def get_bulk(self, non_repeaters: int, max_repetitions: int, *oids: str) -> list[VarBind]:
        return await self._check(
            await hl.bulk_cmd(
                self.engine, self.auth, self.transport, hl.ContextData(),
                non_repeaters, max_repetitions, *self._objects(oids), lookupMib=False,
            )
        )  # fmt: skip

    async def walk(self, root: str, *, bulk: bool) -> list[VarBind]:
        ctx = hl.ContextData()
        obj = hl.ObjectType(hl.ObjectIdentity(root))
        if bulk:
            steps = hl.bulk_walk_cmd(
                self.engine, self.auth, self.transport, ctx, 0, 25, obj,
                lookupMib=False, lexicographicMode=False,
            )  # fmt: skip
        else:
            steps = hl.walk_cmd(
                self.engine, self.auth, self.transport, ctx, obj,
                lookupMib=False, lexicographicMode=False,
            )  # fmt: skip
        rows: list[VarBind] = []
        async for result in steps:
            rows += await self._check(result)
        return rows


@asynccontextmanager
async def pysnmp_oracle(agent: Snmpd, profile: str) -> AsyncIterator[Oracle]:
    engine = hl.SnmpEngine()
    try:
        transport = await hl.UdpTransportTarget.create(
            (agent.host, agent.port), timeout=3, retries=2
        )
        yield Oracle(engine, transport, _auth_data(profile))
    finally:
        engine.close_dispatcher()
