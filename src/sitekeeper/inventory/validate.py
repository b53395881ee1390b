"""Validate a whole inventory file before anything is applied, and report every problem
with file, line and the allowed values.

Rules checked: the schema (kinds, systems, addresses, intervals, ...), ids unique (clients;
sites within a client; devices within a client), `depends_on` pointing at devices of the
same client and free of cycles, each device's checks (profile + own + defaults).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from sitekeeper.checks.build import ResolvedCheck, build_checks
from sitekeeper.checks.profiles import all_profile_check_names
from sitekeeper.checks.specs import CHECK_TYPES
from sitekeeper.errors import InventoryError, Problem
from sitekeeper.inventory.graph import find_cycles
from sitekeeper.inventory.models import Defaults, Device, Inventory
from sitekeeper.inventory.yamlsource import LineMap, Path, load_with_lines


@dataclass(frozen=True)
class ValidInventory:
    """A validated inventory and the checks each device gets, keyed by (client, device)."""

    inventory: Inventory
    checks: dict[tuple[str, str], list[ResolvedCheck]] = field(default_factory=dict)
    source: str = "<inventory>"

    def device_count(self) -> int:
        return sum(len(s.devices) for c in self.inventory.clients for s in c.sites)


def load_inventory(path: str | FsPath) -> ValidInventory:
    p = FsPath(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InventoryError([Problem(str(p), None, "", "file not found")]) from None
    except IsADirectoryError:
        raise InventoryError(
            [Problem(str(p), None, "", "is a directory; give a YAML file")]
        ) from None
    except UnicodeDecodeError as err:
        raise InventoryError(
            [Problem(str(p), None, "", f"not UTF-8 text ({err.reason})")]
        ) from None
    except OSError as err:
        raise InventoryError([Problem(str(p), None, "", f"cannot read: {err.strerror}")]) from None
    return parse_inventory(text, str(p))


def parse_inventory(text: str, file: str = "<inventory>") -> ValidInventory:
    data, lines, problems = load_with_lines(text, file)
    if problems and data is None:
        raise InventoryError(problems)
    if data is None:
        raise InventoryError(
            [Problem(file, 1, "", "the file is empty; an inventory starts with `clients:`")]
        )
    if not isinstance(data, dict):
        raise InventoryError(
            [
                Problem(
                    file,
                    lines.line_for(()) or 1,
                    "",
                    "an inventory is a mapping with `clients:` (and optional `defaults:`)",
                )
            ]
        )

    namer = _PathNamer(data)
    problems.extend(
        Problem(file, lines.line_for(p), namer.name(p), "contains a NUL character (\\0)")
        for p in _nul_paths(data, ())
    )
    inventory: Inventory | None = None
    try:
        inventory = Inventory.model_validate(data)
    except ValidationError as err:
        for e in err.errors():
            path = _data_path(data, e["loc"])
            problems.append(Problem(file, lines.line_for(path), namer.name(path), _message(e)))

    problems.extend(_cross_checks(data, lines, namer, file))

    checks = _build_all_checks(data, lines, namer, file, problems)

    if problems or inventory is None:
        problems.sort(key=lambda p: (p.line or 0, p.path))
        raise InventoryError(_dedupe(problems))
    return ValidInventory(inventory=inventory, checks=checks, source=file)


def _build_all_checks(
    data: dict[str, Any], lines: LineMap, namer: _PathNamer, file: str, problems: list[Problem]
) -> dict[tuple[str, str], list[ResolvedCheck]]:
    """Build every device's checks, also for devices whose neighbours are invalid, so one
    run reports all problems. Devices that are themselves invalid were reported already."""
    try:
        defaults = Defaults.model_validate(data.get("defaults") or {})
    except ValidationError:
        defaults = Defaults()
    known = all_profile_check_names()
    for i, name in enumerate(defaults.disable_checks):
        if name not in known:
            path: Path = ("defaults", "disable_checks", i)
            problems.append(
                Problem(
                    file,
                    lines.line_for(path),
                    namer.name(path),
                    f"no profile check is named {name!r}; profile checks are: {', '.join(known)}",
                )
            )
    checks: dict[tuple[str, str], list[ResolvedCheck]] = {}
    for ci, client in _items(data.get("clients")):
        for si, site in _items(client.get("sites")):
            for di, raw in _items(site.get("devices")):
                try:
                    device = Device.model_validate(raw)
                except ValidationError:
                    continue
                resolved, build_problems = build_checks(device, defaults)
                checks[(str(client.get("id")), device.id)] = resolved
                base: Path = ("clients", ci, "sites", si, "devices", di)
                for bp in build_problems:
                    path = base if bp.check_index is None else (*base, "checks", bp.check_index)
                    problems.append(
                        Problem(file, lines.line_for(path), namer.name(path), bp.message)
                    )
    return checks


def _nul_paths(node: Any, path: Path) -> list[Path]:
    """Where a text holds NUL: valid YAML (as "\\0") and JSON, but no database keeps it."""
    if isinstance(node, str):
        return [path] if "\x00" in node else []
    if isinstance(node, dict):
        found = [path for key in node if isinstance(key, str) and "\x00" in key]
        return found + [p for k, v in node.items() for p in _nul_paths(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _nul_paths(v, (*path, i))]
    return []


def _items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(value, list):
        return []
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)]


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[int | None, str]] = set()
    out = []
    for p in problems:
        key = (p.line, p.path)  # one message per place: the first (most specific) wins
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _data_path(data: Any, loc: tuple[int | str, ...]) -> Path:
    """Pydantic's loc, minus the union tags that are not keys in the data."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:  # noqa: SIM114 - separate branches keep the index types apart for mypy
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif (
            isinstance(node, dict | list)
            and isinstance(part, str)
            and part not in CHECK_TYPES
            and part != "override"
        ):
            # a key that is missing (union tags are skipped): keep it so the message names it
            path.append(part)
            node = None
    return tuple(path)


_FRIENDLY: dict[str, str] = {
    "missing": "required; add `{field}:`",
    "extra_forbidden": "unknown field `{field}`",
}


def _message(e: ErrorDetails) -> str:
    kind = e["type"]
    field_name = str(e["loc"][-1]) if e["loc"] else ""
    ctx = e.get("ctx") or {}
    if kind == "missing":
        return f"`{field_name}` is required"
    if kind == "extra_forbidden":
        hint = _FIELD_HOMES.get(field_name)
        where = f"; `{field_name}` belongs {hint}" if hint else "; check the spelling"
        return f"unknown field `{field_name}` here{where} (docs/inventory.md lists the fields)"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"{e['input']!r} is not a valid {field_name}; allowed: {expected}"
    if kind == "enum":
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"{e['input']!r} is not a valid {field_name}; allowed: {expected}"
    if kind == "check_type" and isinstance(e["input"], dict) and "type" in e["input"]:
        return f"unknown check type {e['input']['type']!r}; allowed: {', '.join(CHECK_TYPES)}"
    if kind == "union_tag_invalid":
        return f"unknown check type {ctx.get('tag')!r}; allowed: {', '.join(CHECK_TYPES)}"
    if (kind == "string_pattern_mismatch" and field_name in ("id", "depends_on")) or (
        kind == "string_pattern_mismatch" and isinstance(e["loc"][-1], int)
    ):
        return f"{e['input']!r} is not a valid id; use lower-case letters, digits, '-' and '_'"
    if kind == "string_pattern_mismatch" and field_name == "credentials":
        return (
            f"{e['input']!r} is not a credentials reference; give the *name* of the secret "
            "(letters, digits and . _ : / -, up to 128), never the secret itself"
        )
    if kind in _BOUNDS:
        limit = ctx.get(_BOUNDS[kind][0])
        return f"{field_name} must be {_BOUNDS[kind][1]} {limit} (got {e['input']!r})"
    return str(e["msg"]).removeprefix("Value error, ")


_BOUNDS = {
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
}
_FIELD_HOMES = {
    "interval": "under `defaults:` or in a check",
    "retry_interval": "under `defaults:` or in a check",
    "timeout": "under `defaults:` or in a check",
    "max_attempts": "under `defaults:` or in a check",
    "port": "in a check (or use the device's `ports:` map)",
    "type": "in a check under the device's `checks:`",
    "devices": "in a site (clients -> sites -> devices)",
    "sites": "in a client",
}


class _PathNamer:
    """Names a path the way a person reads the file: clients[acme].sites[hq].devices[nvr].kind"""

    def __init__(self, data: Any) -> None:
        self._data = data

    def name(self, path: Path) -> str:
        out = ""
        node = self._data
        for part in path:
            if isinstance(part, int):
                item = node[part] if isinstance(node, list) and part < len(node) else None
                ident = item.get("id") if isinstance(item, dict) else None
                out += f"[{ident}]" if isinstance(ident, str) else f"[{part}]"
                node = item
            else:
                out += f".{part}" if out else part
                node = node.get(part) if isinstance(node, dict) else None
        return out


def _cross_checks(
    data: dict[str, Any], lines: LineMap, namer: _PathNamer, file: str
) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: Path, message: str) -> None:
        problems.append(Problem(file, lines.line_for(path), namer.name(path), message))

    clients = data.get("clients")
    if not isinstance(clients, list):
        return problems
    client_ids: dict[str, Path] = {}
    for ci, client in enumerate(clients):
        if not isinstance(client, dict):
            continue
        cpath: Path = ("clients", ci)
        cid = client.get("id")
        if isinstance(cid, str):
            if cid in client_ids:
                add(
                    (*cpath, "id"),
                    f"duplicate client id {cid!r} (first at line {lines.line_for(client_ids[cid])})",
                )
            else:
                client_ids[cid] = (*cpath, "id")
        devices: dict[str, Path] = {}
        depends: dict[str, list[tuple[str, Path]]] = {}
        site_ids: dict[str, Path] = {}
        service_ids: dict[str, Path] = {}
        needs: list[tuple[str, str, Path]] = []  # (service, device, where)
        sites = client.get("sites")
        for si, site in enumerate(sites if isinstance(sites, list) else []):
            if not isinstance(site, dict):
                continue
            spath: Path = (*cpath, "sites", si)
            sid = site.get("id")
            if isinstance(sid, str):
                if sid in site_ids:
                    add(
                        (*spath, "id"),
                        f"duplicate site id {sid!r} in this client (first at line {lines.line_for(site_ids[sid])})",
                    )
                else:
                    site_ids[sid] = (*spath, "id")
            for vi, svc in _items(site.get("services")):
                vpath: Path = (*spath, "services", vi)
                vid = svc.get("id")
                if isinstance(vid, str):
                    if vid in service_ids:
                        add(
                            (*vpath, "id"),
                            f"duplicate service id {vid!r} in this client (first at line {lines.line_for(service_ids[vid])})",
                        )
                    else:
                        service_ids[vid] = (*vpath, "id")
                wanted = svc.get("needs")
                for ni, dep in enumerate(wanted if isinstance(wanted, list) else []):
                    if isinstance(dep, str):
                        needs.append((str(vid), dep, (*vpath, "needs", ni)))
            devs = site.get("devices")
            for di, dev in enumerate(devs if isinstance(devs, list) else []):
                if not isinstance(dev, dict):
                    continue
                dpath: Path = (*spath, "devices", di)
                did = dev.get("id")
                if not isinstance(did, str):
                    continue
                if did in devices:
                    add(
                        (*dpath, "id"),
                        f"duplicate device id {did!r} in this client (first at line {lines.line_for(devices[did])}); device ids are unique per client",
                    )
                    continue
                devices[did] = (*dpath, "id")
                deps = dev.get("depends_on") or []
                if isinstance(deps, str):
                    deps = [deps]
                if isinstance(deps, list):
                    depends[did] = [
                        (d, (*dpath, "depends_on", i))
                        for i, d in enumerate(deps)
                        if isinstance(d, str)
                    ]
        for did, deps in depends.items():
            for dep, path in deps:
                if dep not in devices and dep != did:
                    known = ", ".join(sorted(devices)) or "none"
                    add(
                        path,
                        f"{did!r} depends on {dep!r}, which is not a device of this client; known devices: {known}",
                    )
        for service, dep, path in needs:
            if dep not in devices:
                known = ", ".join(sorted(devices)) or "none"
                add(
                    path,
                    f"service {service!r} needs {dep!r}, which is not a device of this client; known devices: {known}",
                )
        graph = {d: [dep for dep, _ in depends.get(d, [])] for d in devices}
        for cycle in find_cycles(graph):
            add(
                devices[cycle[0]],
                f"circular depends_on: {' -> '.join(cycle)}; a device cannot (indirectly) depend on itself",
            )
    return problems
