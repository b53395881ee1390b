"""Turn a device entry into the checks it gets: its kind's profile, the file's defaults,
the device's own checks and overrides, and ports resolved by name.

Pure: no I/O. Problems are returned, not raised, so validation can report them all at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from sitekeeper.checks.profiles import profile_for
from sitekeeper.checks.specs import DEFAULT_PORTS, CheckSpec
from sitekeeper.checks.specs_passive import PASSIVE_TYPES
from sitekeeper.inventory.models import CheckOverride, Defaults, Device

SPEC_ADAPTER: TypeAdapter[CheckSpec] = TypeAdapter(CheckSpec)
_TIMING = ("interval", "retry_interval", "timeout", "max_attempts")


@dataclass(frozen=True, slots=True)
class ResolvedCheck:
    """One check of one device, ready to schedule: defaults applied, port resolved."""

    name: str
    spec: CheckSpec
    port: int | None

    @property
    def type(self) -> str:
        return self.spec.type


@dataclass(frozen=True, slots=True)
class BuildProblem:
    """A problem in one device's checks; `check_index` points into the device's `checks:`."""

    message: str
    check_index: int | None = None


def resolve_port(spec: CheckSpec, ports: dict[str, int]) -> int | None:
    port: int | None = getattr(spec, "port", None)
    if port is not None:
        return port
    name: str | None = getattr(spec, "port_name", None)
    if name is None:
        return None
    if name in ports:
        return ports[name]
    return DEFAULT_PORTS.get(name)


def build_checks(
    device: Device, defaults: Defaults
) -> tuple[list[ResolvedCheck], list[BuildProblem]]:
    problems: list[BuildProblem] = []
    planned: dict[str, tuple[dict[str, Any], int | None]] = {}  # name -> (fields, index)

    if device.profile_checks:
        for entry in profile_for(
            device.kind, device.vendor, has_credentials=device.credentials is not None
        ):
            if entry["name"] not in defaults.disable_checks:
                planned[entry["name"]] = (dict(entry), None)

    seen: set[str] = set()
    for index, item in enumerate(device.checks):
        if isinstance(item, CheckOverride):
            name = item.name
            if name not in planned:
                problems.append(
                    BuildProblem(
                        f"there is no profile check named {name!r} to turn off; "
                        f"{device.kind.value} checks are: {', '.join(planned) or 'none'}",
                        index,
                    )
                )
            elif not item.enabled:
                planned.pop(name)
            continue
        fields = item.model_dump(exclude_unset=True, mode="python")
        fields["type"] = item.type
        name = item.check_name
        fields["name"] = name
        if name in seen:
            problems.append(
                BuildProblem(f"two checks are named {name!r}; give one a `name:`", index)
            )
            continue
        seen.add(name)
        planned[name] = (fields, index)

    checks: list[ResolvedCheck] = []
    for name, (fields, at_index) in planned.items():
        merged = dict(fields)
        # passive checks have no schedule and no retries: a trap or a message is one fact
        timing = () if merged.get("type") in PASSIVE_TYPES else _TIMING
        for key in timing:
            value = getattr(defaults, key)
            if key not in merged and value is not None:
                merged[key] = value
        try:
            spec = SPEC_ADAPTER.validate_python(merged)
        except ValidationError as err:
            first = err.errors()[0]
            msg = str(first["msg"]).removeprefix("Value error, ")
            problems.append(
                BuildProblem(f"check {name!r} with the file's defaults: {msg}", at_index)
            )
            continue
        port = resolve_port(spec, device.ports)
        port_name = getattr(spec, "port_name", None)
        needs_port = spec.type in ("tcp", "tls") or (port_name is not None and spec.type != "dns")
        if port is None and needs_port:
            known = sorted({*DEFAULT_PORTS, *device.ports})
            problems.append(
                BuildProblem(
                    f"check {name!r}: no port named {port_name!r}; add it to the device's "
                    f"`ports:` or use one of: {', '.join(known)}",
                    at_index,
                )
            )
            continue
        if spec.enabled:
            checks.append(ResolvedCheck(name=name, spec=spec, port=port))
    return checks, problems
