"""Recorded SNMP walks as fixture files, in net-snmp's `snmpwalk -On` text:

    .1.3.6.1.2.1.1.3.0 = Timeticks: (123456) 0:20:34.56
    .1.3.6.1.2.1.33.1.4.1.0 = INTEGER: 5

read back into the engine's typed varbinds (Counter64 stays a Counter64), so the tables
parse exactly what the probe would hand them.
"""

from __future__ import annotations

import re
from pathlib import Path

from sitekeeper.protocols.snmp import Counter32, Counter64, Gauge32, TimeTicks, parse_oid
from sitekeeper.protocols.snmp.values import Value, VarBind

HERE = Path(__file__).parent / "walks"
_LINE = re.compile(r"^(?P<oid>\.?[\d.]+) = (?:(?P<type>[\w-]+): )?(?P<value>.*)$")
_NUMBERS: dict[str, type[int]] = {
    "INTEGER": int,
    "Counter32": Counter32,
    "Counter64": Counter64,
    "Gauge32": Gauge32,
}


def _value(kind: str | None, text: str) -> Value:
    if kind in _NUMBERS:  # "5", or "onBattery(5)" when net-snmp knew the MIB
        numbers = re.findall(r"-?\d+", text)
        return _NUMBERS[kind](int(numbers[-1] if "(" in text else numbers[0]))
    if kind == "Timeticks":
        match = re.match(r"\((\d+)\)", text)
        assert match, f"Timeticks without (n): {text!r}"
        return TimeTicks(int(match.group(1)))
    if kind == "STRING":
        return text.strip('"').encode()
    if kind == "Hex-STRING":
        return bytes.fromhex(text.replace(" ", ""))
    if kind == "OID":
        return parse_oid(text)
    if kind is None and text == '""':
        return b""
    raise AssertionError(f"no fixture type {kind!r}")


def load(name: str) -> list[VarBind]:
    """The varbinds in walks/NAME; blank lines and `#` comments are skipped."""
    out: list[VarBind] = []
    for number, line in enumerate((HERE / name).read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _LINE.match(line)
        assert match, f"{name}:{number}: not `oid = TYPE: value`"
        out.append((parse_oid(match["oid"]), _value(match["type"], match["value"])))
    return out
