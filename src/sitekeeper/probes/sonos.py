"""Sonos probe: read the player's device description (port 1400) through the HTTP seam.

Values: model, model_number, software_version, display_version, room, zone_type,
http_status. A player renamed or reset to factory settings shows up as a different room.
"""

from __future__ import annotations

import asyncio

from sitekeeper.checks.base import DEFAULT_PORTS
from sitekeeper.checks.specs_devices import SonosCheck
from sitekeeper.observation import Observation, Value
from sitekeeper.probes._common import describe, elapsed_ms, timed_out, url_host
from sitekeeper.probes.base import ProbeContext, Target
from sitekeeper.protocols import sonos
from sitekeeper.protocols.sonos import NotSonos, SonosDescription


def description_values(found: SonosDescription) -> dict[str, Value]:
    named: dict[str, str | None] = {
        "model": found.model_name,
        "model_number": found.model_number,
        "software_version": found.software_version,
        "display_version": found.display_version,
        "room": found.room_name,
        "zone_type": found.zone_type,
    }
    return {k: v for k, v in named.items() if v is not None}


async def probe(target: Target, spec: SonosCheck, ctx: ProbeContext) -> Observation:
    started, t0 = ctx.clock.now(), ctx.clock.monotonic()
    port = target.port or spec.port or DEFAULT_PORTS["sonos"]
    url = f"http://{url_host(target.address)}:{port}{sonos.PATH}"
    values: dict[str, Value] = {}
    budget = ctx.remaining()
    error: str | None = None
    try:
        ctx.log(f"GET {url}")
        async with asyncio.timeout(budget):
            status, body = await sonos.fetch_description(ctx.http.get(verify_tls=True), url)
        values["http_status"] = status
        if status != 200:
            raise NotSonos(f"the device description answered HTTP {status}")
        found = sonos.parse_description(body)
        values.update(description_values(found))
        ctx.log(f"{found.model_name} {found.software_version} in {found.room_name}")
        if spec.expect_room is not None and found.room_name != spec.expect_room:
            error = f'room is "{found.room_name}", expected "{spec.expect_room}"'
    except TimeoutError:
        error = timed_out(budget, "waiting for the device description")
    except NotSonos as err:
        error = str(err)
    except Exception as err:  # a probe never raises; CancelledError is not an Exception
        error = describe(err)
    return ctx.observation(
        target,
        ok=error is None,
        started=started,
        latency_ms=elapsed_ms(ctx, t0) if error is None else None,
        values=values,
        error=error,
        details={"url": url},
    )
