"""On SQLite pages are built one at a time (web.render.page_builds): a second page waits for
the first instead of contending with it for the interpreter lock, while the API is not held
up. On PostgreSQL they are built at once. Served by uvicorn on loopback, with requests from
threads of their own."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from sitekeeper.api.app import create_app
from sitekeeper.web import pages
from tests.web.conftest import LiveServer, sign_in
from tests.web.world import World


def test_on_sqlite_a_second_page_waits_for_the_first_and_the_api_answers_meanwhile(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pages.portfolio_overview
    building: list[int] = []
    most = [0]
    guard = threading.Lock()
    entered, release = threading.Event(), threading.Event()

    def held(scope: Any, now: float) -> Any:
        """The overview's data, held open until the test has looked."""
        with guard:
            building.append(1)
            most[0] = max(most[0], len(building))
        entered.set()
        try:
            release.wait(10)
            return real(scope, now)
        finally:
            with guard:
                building.pop()

    monkeypatch.setattr(pages, "portfolio_overview", held)
    with LiveServer(create_app(world.store, clock=world.clock)) as live:
        with httpx.Client(base_url=live.url) as first:
            sign_in(first, world.email("alice"))  # type: ignore[arg-type]
            cookies = first.cookies
        answers: dict[int, int] = {}

        def fetch(n: int) -> None:
            with httpx.Client(base_url=live.url, cookies=cookies, timeout=20) as client:
                answers[n] = client.get("/live/overview").status_code

        threads = [threading.Thread(target=fetch, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        try:
            assert entered.wait(10), "no overview was being built"
            with httpx.Client(base_url=live.url, cookies=cookies, timeout=5) as api:
                # a sync API route, through the worker threads, while the page is held
                assert api.get("/api/v1/clients").status_code == 200
                # by now the second page has long arrived: on SQLite it waits
                sqlite = world.store.dialect == "sqlite"
                deadline = time.monotonic() + 5
                while not sqlite and len(building) < 2 and time.monotonic() < deadline:
                    time.sleep(0.01)  # on PostgreSQL it is built alongside
                assert len(building) == (1 if sqlite else 2)
        finally:
            release.set()
            for t in threads:
                t.join(20)
    assert answers == {0: 200, 1: 200}
    assert most[0] == (1 if world.store.dialect == "sqlite" else 2)
