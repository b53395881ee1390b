"""Dotted paths into JSON replies, and comparing what YAML expects with what JSON holds."""

from __future__ import annotations

import pytest

from sitekeeper.probes._json import FieldMissing, canonical, judge_json, lookup

DOC = {"a": {"b": [10, {"c": "x"}]}, "n": 1.0, "flag": False}


def test_it_walks_objects_and_lists_by_dotted_path() -> None:
    assert lookup(DOC, "a.b.0") == 10
    assert lookup(DOC, "a.b.1.c") == "x"
    assert lookup(DOC, "a.b.-1.c") == "x"


@pytest.mark.parametrize("path", ["a.z", "a.b.2", "a.b.x", "n.m", "a.b.0.c"])
def test_it_reports_paths_that_lead_nowhere(path: str) -> None:
    with pytest.raises(FieldMissing):
        lookup(DOC, path)


def test_it_compares_numbers_by_value_and_booleans_by_name() -> None:
    assert canonical(1.0) == canonical(1) == canonical("1")
    assert canonical(True) == "true"
    assert canonical(True) != canonical(1)


def test_it_shows_an_object_field_as_short_json() -> None:
    value, problem = judge_json('{"a": {"b": [1, 2]}}', "a", None)
    assert problem is None
    assert value == '{"b":[1,2]}'


def test_it_survives_hostile_nesting() -> None:
    value, problem = judge_json("[" * 100_000, "a", None)
    assert value is None
    assert problem is not None
    assert problem.startswith("body is not JSON")
