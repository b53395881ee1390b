"""RTSP probe: OPTIONS, then DESCRIBE a stream; alive when the SDP lists video or audio.

This is the "stream-dead" detector: a camera whose encoder has hung often keeps its RTSP
port open (a tcp check stays green) while DESCRIBE fails or describes no media. A 401 means
the server is answering but wants credentials we do not send yet: UNKNOWN, not CRIT.
"""

from __future__ import annotations

import asyncio

from sitekeeper.checks.specs_devices import RtspCheck
from sitekeeper.observation import Observation, Value
from sitekeeper.probes._common import (
    describe,
    elapsed_ms,
    fill,
    no_port,
    resolve_port,
    timed_out,
    url_host,
)
from sitekeeper.probes._dialog import close_quietly
from sitekeeper.probes.base import ProbeContext, Target
from sitekeeper.protocols import rtsp
from sitekeeper.protocols.rtsp import RtspError, RtspResponse

CLOSE_GRACE = 0.25


def stream_url(target: Target, spec: RtspCheck, port: int) -> str:
    if spec.url:
        return fill(spec.url, target.address, port)
    return f"rtsp://{url_host(target.address)}:{port}{spec.path}"


def judge(
    spec: RtspCheck, response: RtspResponse
) -> tuple[bool | None, str | None, dict[str, Value]]:
    """(ok, error, values) for a DESCRIBE response."""
    values: dict[str, Value] = {"rtsp_status": response.status}
    if response.status == 401:
        schemes = " or ".join(response.auth_schemes()) or "an unnamed scheme"
        return None, f"needs credentials: the server asks for {schemes} authentication", values
    if response.status != 200:
        where = response.header("Location")
        moved = f" (to {where})" if where else ""
        return (
            False,
            f"DESCRIBE answered {response.status} {response.reason}{moved}".strip(),
            values,
        )
    media = rtsp.parse_sdp(response.body.decode("utf-8", errors="replace"))
    video = sum(1 for m in media if m.kind == "video")
    audio = sum(1 for m in media if m.kind == "audio")
    values.update(media_video=video, media_audio=audio)
    codecs = [c for m in media if m.kind in ("video", "audio") for c in m.codecs]
    if codecs:
        values["codecs"] = ",".join(dict.fromkeys(codecs))
    if video + audio == 0:
        return False, "DESCRIBE returned no media (no m=video or m=audio in the SDP)", values
    if spec.require_video and video == 0:
        return False, "DESCRIBE returned audio but no video", values
    return True, None, values


async def probe(target: Target, spec: RtspCheck, ctx: ProbeContext) -> Observation:
    started, t0 = ctx.clock.now(), ctx.clock.monotonic()
    port = resolve_port(target, spec.port, spec.port_name)
    if port is None:
        return ctx.observation(target, ok=None, started=started, error=no_port(spec.port_name))
    url = stream_url(target, spec, port)
    values: dict[str, Value] = {}
    budget = ctx.remaining()
    stage = "connecting"
    writer: asyncio.StreamWriter | None = None
    ok: bool | None = False
    error: str | None = None
    try:
        async with asyncio.timeout(budget):
            ctx.log(f"connecting to {target.address}:{port}")
            reader, writer = await asyncio.open_connection(target.address, port)
            values["connect_ms"] = elapsed_ms(ctx, t0)
            cseq = 1
            if spec.options:
                stage = "waiting for the OPTIONS response"
                options = await rtsp.request(reader, writer, "OPTIONS", url, cseq)
                values["options_status"] = options.status
                ctx.log(f"OPTIONS {url}: {options.status} {options.reason}")
                cseq += 1
            stage = "waiting for the DESCRIBE response"
            described = await rtsp.request(
                reader, writer, "DESCRIBE", url, cseq, {"Accept": "application/sdp"}
            )
            ctx.log(f"DESCRIBE {url}: {described.status} {described.reason}")
            ok, error, judged = judge(spec, described)
            values.update(judged)
    except TimeoutError:
        error = timed_out(budget, stage)
    except RtspError as err:
        error = str(err)
    except Exception as err:  # a probe never raises; CancelledError is not an Exception
        error = describe(err)
    finally:
        if writer is not None:
            await close_quietly(writer, min(CLOSE_GRACE, ctx.remaining()))
    return ctx.observation(
        target,
        ok=ok,
        started=started,
        latency_ms=elapsed_ms(ctx, t0) if ok else None,
        values=values,
        error=error,
        details={"url": url},
    )
