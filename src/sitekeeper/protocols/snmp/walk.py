"""Walking a subtree with GETBULK (SNMPv2c/v3) or GETNEXT (SNMPv1), safely.

An agent decides where a walk goes next, so a broken one can send it in circles: each OID
must be strictly greater than the one before (RFC 3416 §4.2.2 demands lexicographic
progress), or the walk stops with `SnmpLoopError`. The number of rows is capped, so even an
agent that makes progress forever (a counter in the index) cannot fill the collector's
memory. A walk ends at the first OID outside the subtree, at endOfMibView, and, in SNMPv1,
at noSuchName (RFC 1157 §4.1.3's way of saying the same).

Unlike net-snmp's snmpwalk, a walk of a leaf that has no children returns nothing rather
than falling back to a GET of the leaf itself: use `get` for single objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import SnmpEncodeError, SnmpLoopError, SnmpResponseError, SnmpWalkError
from .message import Version
from .target import Target
from .values import NoValue, Oid, VarBind, format_oid

if TYPE_CHECKING:
    from .client import SnmpClient

NO_SUCH_NAME = 2


async def walk(
    client: SnmpClient,
    target: Target,
    root: Oid,
    *,
    bulk: bool = True,
    max_repetitions: int = 25,
    max_rows: int = 100_000,
) -> list[VarBind]:
    if not 0 < max_repetitions <= 1000:
        raise SnmpEncodeError("max_repetitions must be 1..1000")
    use_bulk = bulk and target.version is not Version.V1
    rows: list[VarBind] = []
    last = root
    # Every OID in the subtree lies in root <= oid < end: two comparisons without building
    # a slice for each row.
    end = (*root[:-1], root[-1] + 1)
    while True:
        if use_bulk:
            answer = await client.get_bulk(target, [last], max_repetitions=max_repetitions)
        else:
            try:
                answer = await client.get_next(target, [last])
            except SnmpResponseError as err:
                if err.status == NO_SUCH_NAME and target.version is Version.V1:
                    return rows
                raise
        if not answer:
            return rows
        for oid, value in answer:
            if isinstance(value, NoValue) or not root <= oid < end:
                return rows  # endOfMibView, or past the end of the subtree
            if oid <= last:
                raise SnmpLoopError(
                    f"agent went from {format_oid(last)} back to {format_oid(oid)}: "
                    "walking on would loop"
                )
            if len(rows) >= max_rows:
                raise SnmpWalkError(f"walk of {format_oid(root)} passed {max_rows} rows")
            rows.append((oid, value))
            last = oid
