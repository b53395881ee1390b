"""One registry: every check type has exactly one probe, and each keeps the one signature."""

from __future__ import annotations

import inspect

from sitekeeper.checks.specs import CHECK_TYPES
from sitekeeper.checks.specs_passive import PASSIVE_TYPES
from sitekeeper.probes import PROBES


def test_it_has_a_probe_for_every_active_check_type_and_nothing_else() -> None:
    assert set(PROBES) == set(CHECK_TYPES) - PASSIVE_TYPES  # passive checks are not probed


def test_every_probe_takes_target_spec_and_context() -> None:
    for kind, probe in PROBES.items():
        assert inspect.iscoroutinefunction(probe), kind
        positional = [
            p.name
            for p in inspect.signature(probe).parameters.values()
            if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        ]
        assert positional == ["target", "spec", "ctx"], kind
