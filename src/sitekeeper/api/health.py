"""/healthz (the process answers) and /readyz (the store answers and, when embedded, the
collector runs)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    problems: list[str] = []
    try:
        with request.app.state.store.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as err:  # any database failure means not ready
        problems.append(f"database: {str(err).splitlines()[0]}")
    runtime = request.app.state.runtime
    if runtime is not None and not runtime.running:
        problems.append("collector: not running")
    if problems:
        return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503)
    return JSONResponse({"status": "ready"})
