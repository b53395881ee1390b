"""Read YAML while remembering the line of every key and list item, so errors can name it.

`load_with_lines(text, file)` returns the plain data and a `LineMap` from paths
(`("clients", 0, "sites", 0, "devices", 3, "kind")`) to 1-based line numbers. Duplicate keys,
which PyYAML would silently collapse, are reported as problems here.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sitekeeper.errors import Problem

Path = tuple[str | int, ...]

# YAML aliases can make a small file expand into an enormous tree ("billion laughs").
# An inventory of tens of thousands of devices stays far below this many nodes.
MAX_NODES = 2_000_000

# libyaml's parser when PyYAML was built with it (the wheels are): the same nodes and marks,
# about ten times faster on a large inventory than the pure-Python one.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_TOO_DEEP = "the YAML is nested too deeply to be an inventory"


class _TooBig(Exception):
    pass


class LineMap:
    def __init__(self) -> None:
        self._lines: dict[Path, int] = {}

    def set(self, path: Path, line: int) -> None:
        self._lines.setdefault(path, line)

    def line_for(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self._lines:
                return self._lines[p]
            p = p[:-1]
        return self._lines.get((), None)


def load_with_lines(text: str, file: str) -> tuple[Any, LineMap, list[Problem]]:
    lines = LineMap()
    problems: list[Problem] = []
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as err:
        if "nesting depth" in str(err.problem):  # libyaml's own limit
            problems.append(Problem(file, None, "", _TOO_DEEP))
            return None, lines, problems
        mark = err.problem_mark
        line = min(mark.line + 1, max(1, len(text.splitlines()))) if mark is not None else None
        problems.append(Problem(file, line, "", f"not valid YAML: {err.problem or err}"))
        return None, lines, problems
    except yaml.YAMLError as err:
        problems.append(Problem(file, None, "", f"not valid YAML: {err}"))
        return None, lines, problems
    except RecursionError:
        problems.append(Problem(file, None, "", _TOO_DEEP))
        return None, lines, problems
    if root is None:
        return None, lines, problems
    constructor = SafeConstructor()
    budget = [MAX_NODES]
    try:
        data = _convert(root, (), lines, problems, constructor, file, budget)
    except RecursionError:
        problems.append(Problem(file, None, "", _TOO_DEEP))
        return None, LineMap(), problems
    except _TooBig:
        problems.append(
            Problem(
                file,
                None,
                "",
                f"the file expands to more than {MAX_NODES:,} values "
                "(through YAML aliases?); split it or write it out without aliases",
            )
        )
        return None, LineMap(), problems
    return data, lines, problems


def _convert(
    node: Node,
    path: Path,
    lines: LineMap,
    problems: list[Problem],
    constructor: SafeConstructor,
    file: str,
    budget: list[int],
) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig
    lines.set(path, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        constructor.flatten_mapping(node)  # resolves YAML merge keys (<<)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                problems.append(
                    Problem(
                        file, key_node.start_mark.line + 1, _fmt(path), "keys must be plain text"
                    )
                )
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                problems.append(
                    Problem(
                        file,
                        key_node.start_mark.line + 1,
                        _fmt(path),
                        f"key {key!r} appears twice in the same mapping; keep one",
                    )
                )
            child = (*path, key)
            lines.set(child, key_node.start_mark.line + 1)
            out[key] = _convert(value_node, child, lines, problems, constructor, file, budget)
        return out
    if isinstance(node, SequenceNode):
        return [
            _convert(item, (*path, i), lines, problems, constructor, file, budget)
            for i, item in enumerate(node.value)
        ]
    if isinstance(node, ScalarNode):
        try:
            return constructor.construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError) as err:
            # e.g. `installed: 2021-02-30` looks like a date but is none
            problems.append(
                Problem(
                    file,
                    node.start_mark.line + 1,
                    _fmt(path),
                    f"{node.value!r} is not a valid {_what(node.tag)} ({err}); dates are YYYY-MM-DD",
                )
            )
            return node.value
    return None  # pragma: no cover - PyYAML has no other node kinds


def _what(tag: str) -> str:
    return tag.rsplit(":", 1)[-1] if tag else "value"


def _fmt(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
