"""The server application: REST API, dashboard, /metrics and health, on one FastAPI app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from sitekeeper import __version__
from sitekeeper.api import errors
from sitekeeper.api.health import router as health_router
from sitekeeper.api.heartbeats import router as heartbeats_router
from sitekeeper.api.metrics import router as metrics_router
from sitekeeper.api.middleware import BodyLimit, SecurityHeaders
from sitekeeper.api.routes import api_router
from sitekeeper.clock import Clock, SystemClock
from sitekeeper.results.passive import SqlHeartbeatStore
from sitekeeper.results.store import Store

if TYPE_CHECKING:
    from sitekeeper.runtime import EmbeddedRuntime

MAX_BODY_BYTES = 2 * 1024 * 1024  # an inventory of a few thousand devices fits


def create_app(
    store: Store,
    *,
    runtime: EmbeddedRuntime | None = None,
    clock: Clock | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    app = FastAPI(
        title="sitekeeper",
        version=__version__,
        description="Managed technology service: clients, sites, devices, checks, states and history.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # the bundled Swagger UI loads from a CDN; the OpenAPI document is enough
        redoc_url=None,
    )
    app.state.store = store
    app.state.runtime = runtime
    app.state.clock = clock or SystemClock()
    # /hb/{token}: jobs ping here without an account (the token is the credential)
    app.state.heartbeats = SqlHeartbeatStore(store.engine)
    app.state.heartbeat_wake = runtime.passive.poke if runtime is not None else None
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(heartbeats_router)
    try:
        from sitekeeper.web import mount as mount_web
    except ImportError:  # pragma: no cover - the dashboard is part of the server install
        pass
    else:
        mount_web(app)
    return app
