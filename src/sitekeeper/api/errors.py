"""One error body for every failure, so scripts can rely on it:

    {"error": {"code": "not_found", "message": "no device 42", "details": [...]}}

404 (not 403) for ids of other clients: existence is not revealed across tenants.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sitekeeper.errors import Ambiguous, InventoryError, NotFound, SitekeeperError

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal",
    503: "unavailable",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.message = message
        self.details = details
        self.headers = headers


def error_body(
    code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(code or _CODES.get(status, "error"), message, details),
        status_code=status,
        headers=headers,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(
            exc.status, exc.message, code=exc.code, details=exc.details, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details: list[dict[str, Any]] = [
            {"loc": [str(p) for p in e.get("loc", ())], "message": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first: dict[str, Any] = details[0] if details else {"loc": [], "message": "invalid request"}
        where = ".".join(first["loc"][1:]) or ".".join(first["loc"])
        return error_response(
            422, f"{where}: {first['message']}" if where else first["message"], details=details
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = (
            exc.detail if isinstance(exc.detail, str) else _CODES.get(exc.status_code, "error")
        )
        return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(InventoryError)
    async def _inventory(_: Request, exc: InventoryError) -> JSONResponse:
        return error_response(
            422,
            f"{len(exc.problems)} problem(s) in the inventory; nothing was applied",
            code="invalid_inventory",
            details=[p.as_dict() for p in exc.problems],
        )

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return error_response(404, str(exc))

    @app.exception_handler(Ambiguous)
    async def _ambiguous(_: Request, exc: Ambiguous) -> JSONResponse:
        return error_response(409, str(exc))

    @app.exception_handler(SitekeeperError)
    async def _ours(_: Request, exc: SitekeeperError) -> JSONResponse:
        return error_response(400, str(exc))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal error; the server log has the details")
