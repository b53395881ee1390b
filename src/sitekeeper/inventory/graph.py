"""The dependency graph between devices (pure). `depends_on` edges point from a device to
what it needs: its uplink, its power source, its control path."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def find_cycles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Each distinct cycle once, as a path that starts and ends at the same node.

    Iterative DFS (no recursion limit); only edges to known nodes are followed.
    """
    colour: dict[str, int] = {}  # 0/absent = unseen, 1 = on the stack, 2 = done
    cycles: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    for start in edges:
        if colour.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, [d for d in edges[start] if d in edges])]
        path = [start]
        colour[start] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                colour[node] = 2
                stack.pop()
                path.pop()
                continue
            nxt = todo.pop()
            state = colour.get(nxt, 0)
            if state == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                key = frozenset(cycle)
                if key not in seen_sets:
                    seen_sets.add(key)
                    cycles.append(cycle)
            elif state == 0:
                colour[nxt] = 1
                path.append(nxt)
                stack.append((nxt, [d for d in edges[nxt] if d in edges]))
    return cycles


def topological_order(edges: Mapping[str, Iterable[str]]) -> list[str]:
    """Nodes with their dependencies first (parents before children). Assumes no cycles."""
    order: list[str] = []
    done: set[str] = set()
    for start in sorted(edges):
        if start in done:
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(edges[start], reverse=True))]
        while stack:
            node, todo = stack[-1]
            while todo and (todo[-1] in done or todo[-1] not in edges):
                todo.pop()
            if todo:
                nxt = todo.pop()
                stack.append((nxt, sorted(edges[nxt], reverse=True)))
                continue
            stack.pop()
            if node not in done:
                done.add(node)
                order.append(node)
    return order


def descendants(edges: Mapping[str, Iterable[str]], node: str) -> set[str]:
    """Every device that depends on `node`, directly or through others."""
    children: dict[str, list[str]] = {}
    for child, parents in edges.items():
        for parent in parents:
            children.setdefault(parent, []).append(child)
    out: set[str] = set()
    todo = [node]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out
