"""The dashboard: server-rendered pages (Jinja2 + htmx), charts with uPlot, static files.

templating  Jinja2 environment, static URLs
markup      what every row repeats: status badges (word and symbol), times, check lines
security    page sign-in dependency, cookies, form CSRF, login limits, HTML errors
auth_pages  /login, /logout, /setup
views       what pages show, shaped from the read models through the Scope
pages       /, /clients/{id}, /sites/{id}, /devices/{id} and their /live/... regions
incidents   /incidents, /incidents/{id} (with ack, comment, resolve) and their live regions
advice      /clients/{key}/advice: the advisor's report, charts as inline SVG (advice_svg)
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from sitekeeper.web import advice, auth_pages, channels, incidents, pages
from sitekeeper.web.render import page_builds, render
from sitekeeper.web.security import LoginLimits, LoginRequired, PageError, login_redirect
from sitekeeper.web.templating import STATIC_DIR


def mount(app: FastAPI) -> None:
    """Add the dashboard's routes and static files to the app."""
    app.state.web_login_limits = LoginLimits.default()
    app.state.page_builds = page_builds(app.state.store.dialect)  # one at a time on SQLite
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(auth_pages.router)
    app.include_router(pages.router)
    app.include_router(incidents.router)
    app.include_router(channels.router)
    app.include_router(advice.router)

    async def _login(request: Request, exc: Exception) -> Response:
        return login_redirect(request)

    async def _page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return render(
            request,
            "error.html",
            {"title": exc.title, "message": exc.message, "status": exc.status},
            status=exc.status,
        )

    app.add_exception_handler(LoginRequired, _login)
    app.add_exception_handler(PageError, _page_error)
