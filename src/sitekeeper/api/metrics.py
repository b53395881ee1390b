"""/metrics in the Prometheus exposition format (placeholder until the collector exports)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

router = APIRouter(include_in_schema=False)


@router.get("/metrics", response_class=PlainTextResponse)
def metrics() -> str:
    return ""
