"""Serving next to the runtime: bind errors are clear, the server stops with the runtime."""

from __future__ import annotations

import asyncio
import socket
import urllib.request

import pytest

from sitekeeper.api.app import create_app
from sitekeeper.api.server import bind, parse_listen, serve
from sitekeeper.errors import ConfigError
from sitekeeper.results.store import Store


def test_listen_addresses_parse() -> None:
    assert parse_listen("127.0.0.1:8470") == ("127.0.0.1", 8470)
    assert parse_listen("[::1]:9000") == ("::1", 9000)
    assert parse_listen(":8470") == ("127.0.0.1", 8470)
    with pytest.raises(ConfigError, match="must look like"):
        parse_listen("8470")
    with pytest.raises(ConfigError, match="must look like"):
        parse_listen("127.0.0.1:99999")


def test_a_port_in_use_is_a_clear_error() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port} is already in use"):
            bind("127.0.0.1", port)
    finally:
        taken.close()


async def test_the_server_answers_and_stops_when_told(store: Store) -> None:
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    stop = asyncio.Event()
    task = asyncio.create_task(serve(create_app(store), sock, stop))

    def get() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            return r.read().decode()

    for _ in range(50):
        try:
            body = await asyncio.to_thread(get)
            break
        except OSError:
            await asyncio.sleep(0.1)
    assert body == '{"status":"ok"}'
    stop.set()
    await asyncio.wait_for(task, 10)
