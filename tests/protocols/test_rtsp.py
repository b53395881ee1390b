"""RTSP OPTIONS/DESCRIBE probe against an in-test camera on loopback, and SDP parsing."""

from __future__ import annotations

import asyncio
import time

from sitekeeper.checks.specs_devices import RtspCheck
from sitekeeper.probes import rtsp as rtsp_probe
from sitekeeper.probes.base import Target
from sitekeeper.protocols import rtsp

from .conftest import LOOPBACK, SLACK, MakeCtx
from .servers import SDP, Camera, Handler, Servers

LIVE = RtspCheck(path="/live")


def say(data: bytes) -> Handler:
    async def handle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()

    return handle


async def serve(servers: Servers, camera: Camera) -> Target:
    port = await servers.tcp(camera.handler(servers.release))
    return Target(check_id=1, address=LOOPBACK, port=port, name="cam-1")


async def test_a_live_stream_describes_its_media(servers: Servers, make_ctx: MakeCtx) -> None:
    camera = Camera()
    target = await serve(servers, camera)
    obs = await rtsp_probe.probe(target, LIVE, make_ctx(2))
    assert obs.ok is True, obs.error
    assert obs.values["rtsp_status"] == 200
    assert obs.values["options_status"] == 200
    assert (obs.values["media_video"], obs.values["media_audio"]) == (1, 1)
    assert obs.values["codecs"] == "H264,PCMA"
    assert obs.latency_ms is not None
    url = f"rtsp://{LOOPBACK}:{target.port}/live"
    assert camera.received[0].startswith(f"OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\n")
    assert camera.received[1].startswith(f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 2\r\n")
    assert "Accept: application/sdp" in camera.received[1]


async def test_options_can_be_left_out(servers: Servers, make_ctx: MakeCtx) -> None:
    camera = Camera()
    spec = RtspCheck(path="/live", options=False)
    obs = await rtsp_probe.probe(await serve(servers, camera), spec, make_ctx(2))
    assert obs.ok is True
    assert len(camera.received) == 1
    assert "options_status" not in obs.values


async def test_an_sdp_without_media_is_a_dead_stream(servers: Servers, make_ctx: MakeCtx) -> None:
    camera = Camera(streams={"/live": "v=0\r\ns=No encoder\r\nt=0 0\r\n"})
    obs = await rtsp_probe.probe(await serve(servers, camera), LIVE, make_ctx(2))
    assert obs.ok is False
    assert obs.error == "DESCRIBE returned no media (no m=video or m=audio in the SDP)"
    assert obs.values["media_video"] == 0


async def test_audio_only_fails_when_video_is_required(servers: Servers, make_ctx: MakeCtx) -> None:
    audio = "v=0\r\nm=audio 0 RTP/AVP 0\r\n"
    camera = Camera(streams={"/live": audio})
    spec = RtspCheck(path="/live", require_video=True)
    obs = await rtsp_probe.probe(await serve(servers, camera), spec, make_ctx(2))
    assert obs.ok is False
    assert obs.values["codecs"] == "PCMU"


async def test_a_missing_path_is_reported_with_the_status(
    servers: Servers, make_ctx: MakeCtx
) -> None:
    spec = RtspCheck(path="/Streaming/Channels/102")
    obs = await rtsp_probe.probe(await serve(servers, Camera()), spec, make_ctx(2))
    assert obs.ok is False
    assert obs.error == "DESCRIBE answered 404 Not Found"
    assert obs.values["rtsp_status"] == 404


async def test_a_server_error_on_describe_fails(servers: Servers, make_ctx: MakeCtx) -> None:
    camera = Camera(describe_status=(503, "Service Unavailable"))
    obs = await rtsp_probe.probe(await serve(servers, camera), LIVE, make_ctx(2))
    assert obs.ok is False
    assert obs.error == "DESCRIBE answered 503 Service Unavailable"


async def test_a_401_says_it_needs_credentials(servers: Servers, make_ctx: MakeCtx) -> None:
    camera = Camera(auth='Digest realm="IP Camera", nonce="abc123"')
    obs = await rtsp_probe.probe(await serve(servers, camera), LIVE, make_ctx(2))
    assert obs.ok is None
    assert obs.error == "needs credentials: the server asks for Digest authentication"
    assert obs.values["rtsp_status"] == 401


async def test_a_port_that_is_open_but_never_answers_describe_times_out(
    servers: Servers, make_ctx: MakeCtx
) -> None:
    target = await serve(servers, Camera(hang_on_describe=True))
    t0 = time.monotonic()
    obs = await rtsp_probe.probe(target, LIVE, make_ctx(1.0))
    assert obs.ok is False
    assert obs.error == "timed out after 1.0s waiting for the DESCRIBE response"
    assert obs.values["options_status"] == 200
    assert time.monotonic() - t0 <= 1.0 + SLACK


async def test_a_connection_closed_on_describe_fails(servers: Servers, make_ctx: MakeCtx) -> None:
    obs = await rtsp_probe.probe(
        await serve(servers, Camera(close_on_describe=True)), LIVE, make_ctx(2)
    )
    assert obs.ok is False
    assert obs.error == "connection closed before the response ended"


async def test_something_that_is_not_rtsp_fails(servers: Servers, make_ctx: MakeCtx) -> None:
    port = await servers.tcp(say(b"HTTP/1.1 400 Bad Request\r\n\r\n"))
    obs = await rtsp_probe.probe(Target(1, LOOPBACK, port), LIVE, make_ctx(2))
    assert obs.ok is False
    assert obs.error == 'not an RTSP response: "HTTP/1.1 400 Bad Request"'


async def test_an_endless_response_head_is_cut_off(servers: Servers, make_ctx: MakeCtx) -> None:
    head = b"RTSP/1.0 200 OK\r\n" + b"X-Junk: " + b"x" * 100 + b"\r\n"
    port = await servers.tcp(say(head * 1000))
    obs = await rtsp_probe.probe(Target(1, LOOPBACK, port), LIVE, make_ctx(2))
    assert obs.ok is False
    assert obs.error == "response head longer than 16384 bytes"


async def test_a_refused_port_fails(closed_port: int, make_ctx: MakeCtx) -> None:
    obs = await rtsp_probe.probe(Target(1, LOOPBACK, closed_port), LIVE, make_ctx(2))
    assert obs.ok is False
    assert obs.error == "connection refused"


async def test_a_full_url_is_filled_in(servers: Servers, make_ctx: MakeCtx) -> None:
    camera = Camera(streams={"/cam/realmonitor": SDP})
    spec = RtspCheck(url="rtsp://{address}:{port}/cam/realmonitor")
    obs = await rtsp_probe.probe(await serve(servers, camera), spec, make_ctx(2))
    assert obs.ok is True, obs.error


# --- parsing alone --------------------------------------------------------------------------


def test_it_lists_media_and_codecs() -> None:
    media = rtsp.parse_sdp(SDP)
    assert [(m.kind, m.codecs) for m in media] == [("video", ["H264"]), ("audio", ["PCMA"])]


def test_it_tolerates_junk_in_an_sdp() -> None:
    junk = "m=\r\na=rtpmap:x\r\nm=video\r\na=rtpmap:96\r\nm=video 0 RTP/AVP 96 x\r\n\x00\xff"
    media = rtsp.parse_sdp(junk)
    assert [m.kind for m in media] == ["", "video", "video"]


def test_it_reads_every_auth_scheme_offered() -> None:
    response = rtsp.RtspResponse(
        401,
        "Unauthorized",
        (("WWW-Authenticate", 'Digest realm="x"'), ("WWW-Authenticate", 'basic realm="x"')),
    )
    assert response.auth_schemes() == ["Digest", "Basic"]
