"""The lab's control API: JSON over HTTP on 127.0.0.1:8479, so `sitekeeper lab fail cam-1`
in another terminal can break the lab that `sitekeeper lab up` is running.

    GET  /status                       every device: address, ports, own fault, effect
    GET  /inventory                    the inventory YAML for what is served (text/yaml)
    GET  /devices/{id}                 one device
    POST /devices/{id}/fail            {}
    POST /devices/{id}/recover         {}
    POST /devices/{id}/degrade         {"latency_ms": 300, "loss_pct": 20}
    POST /devices/{id}/flap            {"period_s": 5}
    POST /recover                      clear every fault

Errors are `{"error": "..."}`: 404 for an unknown device (with `valid` ids), 400 otherwise.
Only loopback: the lab API has no authentication, and it changes what the lab serves. So
that a web page in the user's browser cannot drive it either, a request must name a
loopback host (no DNS rebinding) and a POST must be JSON (a cross-site form cannot send it
without a CORS preflight, which this API never grants).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sitekeeper.errors import LabError
from sitekeeper.lab.device import bind
from sitekeeper.lab.faults import UnknownDevice

if TYPE_CHECKING:
    from sitekeeper.lab.lab import Lab

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ControlServer:
    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, host: str, port: int) -> None:
        if not host.startswith("127.") and host not in ("localhost", "::1"):
            raise LabError(f"the lab control API listens on loopback only, not {host}")
        sock = bind(host, port, socket.SOCK_STREAM, "lab control API")
        app = web.Application()
        app.add_routes(
            [
                web.get("/", self._index),
                web.get("/status", self._guard(self._status)),
                web.get("/inventory", self._guard(self._inventory)),
                web.get("/devices/{id}", self._guard(self._device)),
                web.post("/devices/{id}/{action}", self._guard(self._act)),
                web.post("/recover", self._guard(self._recover_all)),
            ]
        )
        # a short shutdown: control clients send one request and hang up
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        try:
            await web.SockSite(self._runner, sock).start()
        except BaseException:
            sock.close()
            raise
        bound_port = sock.getsockname()[1]
        self.url = f"http://{host}:{bound_port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _guard(self, route: Route) -> Route:
        """Lab errors become JSON answers a client can show as they are."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            if not _loopback_host(request.host):
                return _error(403, "the lab control API answers only to a loopback host name")
            if request.method == "POST" and request.content_type != "application/json":
                return _error(415, "send a JSON body with Content-Type: application/json")
            try:
                return await route(request)
            except UnknownDevice as err:
                return _error(404, str(err), valid=list(err.valid))
            except LabError as err:
                return _error(400, str(err))

        return guarded

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"lab": self._lab.plan.site_name, "see": "/status"})

    async def _status(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._lab.status())

    async def _inventory(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text=self._lab.inventory_text(), content_type="text/yaml")

    async def _device(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._lab.device_status(request.match_info["id"]))

    async def _recover_all(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(await self._lab.recover_all())

    async def _act(self, request: web.Request) -> web.StreamResponse:
        device_id = request.match_info["id"]
        action = request.match_info["action"]
        body = await _json_body(request)
        lab = self._lab
        if action == "fail":
            result = await lab.fail(device_id)
        elif action == "recover":
            result = await lab.recover(device_id)
        elif action == "degrade":
            latency = _number(body, "latency_ms", 0.0)
            result = await lab.degrade(device_id, latency, _number(body, "loss_pct", 0.0))
        elif action == "flap":
            result = await lab.flap(device_id, _number(body, "period_s", None))
        elif action == "condition":
            name = body.get("name")
            port = body.get("port")
            if not isinstance(name, str) or (port is not None and not isinstance(port, int)):
                return _error(400, 'a condition needs {"name": str, "port": int?, "on": bool?}')
            result = lab.set_condition(
                device_id, name, port=port, on=body.get("on", True) is not False
            )
        else:
            return _error(
                404, f"no action {action!r}; use fail, recover, degrade, flap or condition"
            )
        return web.json_response(result)


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise LabError(f"the request body is not JSON: {err}") from err
    if not isinstance(body, dict):
        raise LabError("the request body must be a JSON object")
    return body


def _number(body: dict[str, Any], name: str, default: float | None) -> float:
    value = body.get(name, default)
    if value is None:
        raise LabError(f"`{name}` is required")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LabError(f"`{name}` must be a number, not {value!r}")
    return float(value)


def _loopback_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name == "localhost" or name.startswith("127.") or name in ("[::1]", "::1")


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)
