"""Find a value in a JSON reply by a dotted path, and compare it with what a spec expects.

YAML and JSON disagree at the edges (a device reports `"200"` where the user wrote `200`, or
`1.0` for `1`), so values are compared in a canonical text form: numbers by value, booleans
as `true`/`false`, strings as themselves. A monitoring check should not fail on a quote.
"""

from __future__ import annotations

import json
from typing import Any

from sitekeeper.observation import Value

_SHOWN = 200  # longest json_value kept, for a field that holds an object or a list


class FieldMissing(LookupError):
    pass


def lookup(document: Any, path: str) -> Any:
    """`status.ok` or `items.0.name`: keys for objects, numbers (negative from the end)
    for lists."""
    node = document
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif (
            isinstance(node, list)
            and part.lstrip("-").isdigit()
            and -len(node) <= int(part) < len(node)
        ):
            node = node[int(part)]
        else:
            raise FieldMissing(path)
    return node


def canonical(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def as_value(value: Any) -> Value:
    """What an Observation can hold: scalars as they are, anything else as short JSON text."""
    if isinstance(value, bool | int | float | str):
        return value
    return canonical(value)[:_SHOWN]


def judge_json(
    text: str, path: str, expected: str | int | float | bool | None
) -> tuple[Value | None, str | None]:
    """(the value found, a problem or None). `expected=None` asks only that the field exists."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as err:  # RecursionError: hostile nesting
        return None, f"body is not JSON: {err}"
    try:
        found = lookup(document, path)
    except FieldMissing:
        return None, f'JSON field "{path}" not found'
    if expected is not None and canonical(found) != canonical(expected):
        return as_value(
            found
        ), f"expected {path} = {canonical(expected)}, got {canonical(found)[:_SHOWN]}"
    return as_value(found), None
