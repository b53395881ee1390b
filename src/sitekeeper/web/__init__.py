"""The dashboard: server-rendered pages (Jinja2 + htmx), charts with uPlot, static files."""

from __future__ import annotations

from fastapi import FastAPI


def mount(app: FastAPI) -> None:
    """Add the dashboard's routes and static files to the app."""
