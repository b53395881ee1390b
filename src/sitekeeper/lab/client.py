"""The other side of the control API, for the CLI: plain synchronous calls (Typer is sync),
with errors a person can act on. urllib keeps it free of event loops; proxies from the
environment are ignored, because the lab is always on this machine.

Do not call these from a coroutine running in the lab's own event loop: they block it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from sitekeeper.errors import LabError
from sitekeeper.lab.faults import UnknownDevice

DEFAULT_URL = "http://127.0.0.1:8479"


class LabClient:
    def __init__(self, base_url: str = DEFAULT_URL, *, timeout: float = 5.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise LabError(f"the lab control URL must look like {DEFAULT_URL}, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._where = parts.netloc
        self._timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def status(self) -> dict[str, Any]:
        """Every device: address, ports, own fault, state (up/degraded/down) and cause."""
        return self._json("GET", "/status")

    def device(self, device_id: str) -> dict[str, Any]:
        return self._json("GET", f"/devices/{quote(device_id, safe='')}")

    def inventory_text(self) -> str:
        """The inventory YAML that matches what the running lab serves."""
        return self._call("GET", "/inventory", None).decode("utf-8")

    def fail(self, device_id: str) -> dict[str, Any]:
        return self._action(device_id, "fail", {})

    def recover(self, device_id: str) -> dict[str, Any]:
        return self._action(device_id, "recover", {})

    def recover_all(self) -> dict[str, Any]:
        return self._json("POST", "/recover", {})

    def degrade(self, device_id: str, latency_ms: float, loss_pct: float = 0.0) -> dict[str, Any]:
        return self._action(device_id, "degrade", {"latency_ms": latency_ms, "loss_pct": loss_pct})

    def flap(self, device_id: str, period_s: float) -> dict[str, Any]:
        return self._action(device_id, "flap", {"period_s": period_s})

    def condition(
        self, device_id: str, name: str, *, port: int | None = None, on: bool = True
    ) -> dict[str, Any]:
        """A fault inside a device that still answers: on-battery, lamp-error, ..."""
        body: dict[str, Any] = {"name": name, "on": on}
        if port is not None:
            body["port"] = port
        return self._action(device_id, "condition", body)

    def _action(self, device_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._json("POST", f"/devices/{quote(device_id, safe='')}/{action}", body)

    def _json(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.loads(self._call(method, path, body))
        if not isinstance(data, dict):
            raise LabError(f"the lab at {self._where} sent an unexpected reply")
        return data

    def _call(self, method: str, path: str, body: dict[str, Any] | None) -> bytes:
        payload = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__ (http only)
            self.base_url + path,
            data=payload,
            method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as err:
            raise self._error(err) from None
        except (urllib.error.URLError, OSError) as err:
            reason = err.reason if isinstance(err, urllib.error.URLError) else err
            if isinstance(reason, TimeoutError):
                raise LabError(
                    f"the lab at {self._where} did not answer within {self._timeout:g}s"
                ) from err
            raise LabError(
                f"no lab is running at {self._where}; start it with `sitekeeper lab up` "
                "or `make demo`"
            ) from err

    def _error(self, err: urllib.error.HTTPError) -> LabError:
        try:
            data = json.loads(err.read())
        except (ValueError, OSError):
            data = {}
        finally:
            err.close()
        message = data.get("error") if isinstance(data, dict) else None
        if err.code == 404 and isinstance(data, dict) and "valid" in data:
            device_id = path_device(err.url or "")
            return UnknownDevice(device_id, data["valid"])
        return LabError(str(message or f"the lab at {self._where} answered HTTP {err.code}"))


def path_device(url: str) -> str:
    """The device id in a /devices/{id}[/action] URL."""
    parts = urlsplit(url).path.split("/")
    return unquote(parts[2]) if len(parts) > 2 else ""
