"""How sitekeeper runs its event loop: on uvloop where it is installed, else asyncio's own.

A collector spends most of its CPU in the event loop and sockets; uvloop (libuv, in C) does
that part for about half of what asyncio's pure-Python selector loop costs. Everything
sitekeeper does runs on either loop, so a platform without uvloop (Windows) loses speed,
not function. `sitekeeper up` and `demo` start their loop here, and so does the benchmark
of our probes, so what is measured is what runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory, or None (asyncio's default) when uvloop is not installed."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """Like `asyncio.run(main)`, on the loop `loop_factory()` gives."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
