"""`sitekeeper up` and `demo` run their loop through sitekeeper.eventloop: uvloop when it is
installed, asyncio's own loop otherwise."""

from __future__ import annotations

import asyncio
import sys

import pytest

from sitekeeper import eventloop


async def _loop_class() -> type[asyncio.AbstractEventLoop]:
    return type(asyncio.get_running_loop())


def test_the_collector_loop_is_uvloop_when_installed() -> None:
    uvloop = pytest.importorskip("uvloop")
    assert eventloop.run(_loop_class()) is uvloop.Loop


def test_it_falls_back_to_asyncio_without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import now fails
    assert eventloop.loop_factory() is None
    assert issubclass(eventloop.run(_loop_class()), asyncio.BaseEventLoop)


def test_it_returns_what_main_returns() -> None:
    async def main() -> int:
        await asyncio.sleep(0)
        return 42

    assert eventloop.run(main()) == 42
