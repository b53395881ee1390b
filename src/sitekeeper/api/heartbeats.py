"""/hb/{token}: where jobs ping their heartbeat (see sitekeeper.collector.heartbeats).

    GET or POST /hb/{token}          success
    GET or POST /hb/{token}/start    the job began
    GET or POST /hb/{token}/fail     the job failed
    GET or POST /hb/{token}/{code}   an exit status: 0 is success, 1-255 failure

No account is needed: the random token in the URL is the credential, as with healthchecks.
An unknown token answers 404 and records nothing. A POST body (say, the job's last lines of
output) is kept up to BODY_CAP bytes; the rest is not read. The app provides
`app.state.heartbeats` (a HeartbeatStore) and `app.state.clock`, and may provide
`app.state.heartbeat_wake` (called after a ping, so the check is judged at once).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from sitekeeper.clock import Clock
from sitekeeper.collector.heartbeats import BODY_CAP, TOKEN_PATTERN, HeartbeatStore, Ping, PingKind

router = APIRouter(include_in_schema=False)
_TOKEN = re.compile(TOKEN_PATTERN)
_METHODS = ["GET", "POST"]


async def _body(request: Request) -> str:
    if request.method != "POST":
        return ""
    kept = bytearray()
    async for chunk in request.stream():
        kept += chunk[: BODY_CAP - len(kept)]
        if len(kept) >= BODY_CAP:
            break
    return kept.decode("utf-8", errors="replace")


async def _ping(request: Request, token: str, kind: PingKind) -> PlainTextResponse:
    store: HeartbeatStore = request.app.state.heartbeats
    clock: Clock = request.app.state.clock
    if not _TOKEN.match(token) or await run_in_threadpool(store.heartbeat, token) is None:
        return PlainTextResponse("not found", status_code=404)
    source = request.client.host if request.client else ""
    ping = Ping(at=clock.now(), kind=kind, body=await _body(request), source=source)
    await run_in_threadpool(store.record, token, ping)
    wake = getattr(request.app.state, "heartbeat_wake", None)
    if wake is not None:
        wake()
    return PlainTextResponse("OK")


@router.api_route("/hb/{token}", methods=_METHODS)
async def success(request: Request, token: str) -> PlainTextResponse:
    return await _ping(request, token, PingKind.SUCCESS)


@router.api_route("/hb/{token}/start", methods=_METHODS)
async def start(request: Request, token: str) -> PlainTextResponse:
    return await _ping(request, token, PingKind.START)


@router.api_route("/hb/{token}/fail", methods=_METHODS)
async def fail(request: Request, token: str) -> PlainTextResponse:
    return await _ping(request, token, PingKind.FAIL)


@router.api_route("/hb/{token}/{code}", methods=_METHODS)
async def exit_status(
    request: Request, token: str, code: Annotated[int, Path(ge=0, le=255)]
) -> PlainTextResponse:
    return await _ping(request, token, PingKind.SUCCESS if code == 0 else PingKind.FAIL)
