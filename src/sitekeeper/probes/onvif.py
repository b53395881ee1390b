"""ONVIF probe: GetDeviceInformation of a camera or recorder (manufacturer, model, firmware).

Values: manufacturer, model, firmware, serial, hardware_id. The answer proves the device's
ONVIF service is alive (what a VMS or NVR records through), and the firmware and serial
feed maintenance: a camera swapped or reset shows up as a different serial or firmware.

UNKNOWN, not CRIT, when we cannot ask properly: the optional library is not installed, or
the device wants credentials we do not have (a `NotAuthorized` fault or HTTP 401).
"""

from __future__ import annotations

import asyncio

from sitekeeper.checks.specs_devices import OnvifCheck
from sitekeeper.observation import Observation, Value
from sitekeeper.probes._common import (
    describe,
    elapsed_ms,
    no_port,
    resolve_port,
    timed_out,
    url_host,
)
from sitekeeper.probes.base import ProbeContext, Target
from sitekeeper.protocols import onvif
from sitekeeper.protocols.onvif import (
    DeviceInformation,
    OnvifError,
    OnvifFault,
    OnvifHttpStatus,
    OnvifMissing,
)


def device_values(info: DeviceInformation) -> dict[str, Value]:
    named: dict[str, str | None] = {
        "manufacturer": info.manufacturer,
        "model": info.model,
        "firmware": info.firmware,
        "serial": info.serial,
        "hardware_id": info.hardware_id,
    }
    return {k: v for k, v in named.items() if v is not None}


def needs_credentials(spec: OnvifCheck, signed: bool) -> str:
    if signed:
        return (
            "the device refused the stored credentials (check the user name and password, "
            "and that the device's clock is within a few seconds of ours)"
        )
    if spec.credentials is not None:
        return (
            f"the device needs ONVIF credentials and {spec.credentials!r} is not stored; "
            "see `sitekeeper credentials set`"
        )
    return (
        "the device needs ONVIF credentials: store them with `sitekeeper credentials set "
        "NAME --kind password` and refer to them with `credentials: NAME`"
    )


async def observe(
    target: Target,
    spec: OnvifCheck,
    ctx: ProbeContext,
    *,
    username: str | None = None,
    password: str | None = None,
) -> Observation:
    """The probe, given the login (from the resolved credentials)."""
    started, t0 = ctx.clock.now(), ctx.clock.monotonic()
    port = resolve_port(target, spec.port, spec.port_name)
    if port is None:
        return ctx.observation(target, ok=None, started=started, error=no_port(spec.port_name))
    url = f"http://{url_host(target.address)}:{port}{spec.path}"
    values: dict[str, Value] = {}
    budget = ctx.remaining()
    ok: bool | None = False
    error: str | None = None
    try:
        signed = "with a UsernameToken" if username else "unsigned"
        ctx.log(f"GetDeviceInformation at {url}, {signed}")
        async with asyncio.timeout(budget):
            info = await onvif.device_information(url, username, password or "")
        values = device_values(info)
        ctx.log(", ".join(f"{k}={v}" for k, v in values.items()) or "an empty answer")
        ok, error = True, None
        if spec.expect_firmware is not None and info.firmware != spec.expect_firmware:
            ok = False
            error = f'firmware is "{info.firmware}", expected "{spec.expect_firmware}"'
    except TimeoutError:
        error = timed_out(budget, "waiting for GetDeviceInformation")
    except OnvifMissing as err:
        ok, error = None, str(err)
    except OnvifFault as err:
        ctx.log(str(err))
        if err.not_authorized:
            ok, error = None, needs_credentials(spec, signed=bool(username))
        else:
            error = str(err)
    except OnvifHttpStatus as err:
        if err.status == 401:
            ok, error = None, needs_credentials(spec, signed=bool(username))
        else:
            error = str(err)
    except OnvifError as err:
        error = str(err)
    except Exception as err:  # a probe never raises; CancelledError is not an Exception
        error = describe(err)
    return ctx.observation(
        target,
        ok=ok,
        started=started,
        latency_ms=elapsed_ms(ctx, t0) if ok else None,
        values=values,
        error=error,
        details={"url": url},
    )


async def probe(target: Target, spec: OnvifCheck, ctx: ProbeContext) -> Observation:
    creds = target.credentials or {}
    return await observe(
        target, spec, ctx, username=creds.get("username"), password=creds.get("password")
    )
