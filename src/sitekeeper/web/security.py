"""Who may see a page, and the cookies that say so.

Pages use the API's session lookup (`optional_principal`) and scope; what differs is the
failure: a page without a session redirects to /login (htmx polls get `HX-Redirect`), and
errors render as HTML pages rather than JSON bodies.

Login and setup forms are protected from cross-site posting by a double-submit cookie: the
form carries the same random value as a SameSite=Strict cookie, which another site can
neither read nor send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from sitekeeper.api.deps import SESSION_COOKIE, SessionDep, optional_principal
from sitekeeper.api.scope import Scope
from sitekeeper.auth.accounts import SESSION_TTL_S
from sitekeeper.auth.principal import Principal
from sitekeeper.auth.ratelimit import RateLimiter
from sitekeeper.auth.tokens import random_secret, same

FORM_CSRF_COOKIE = "sk_form_csrf"
FORM_CSRF_TTL_S = 2 * 3600


class LoginRequired(Exception):
    pass


class PageError(Exception):
    """Rendered as an HTML page with this status."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


OptionalUser = Annotated[Principal | None, Depends(optional_principal)]


def page_principal(request: Request, principal: OptionalUser) -> Principal:
    if principal is None:
        raise LoginRequired
    request.state.principal = principal
    return principal


PageUser = Annotated[Principal, Depends(page_principal)]


def page_scope(session: SessionDep, principal: PageUser) -> Scope:
    return Scope(session, principal)


PageScope = Annotated[Scope, Depends(page_scope)]


def parse_id(raw: str, what: str) -> int:
    """A path id, or the same 404 page an unknown id gets (no 422s, no overflow in SQL)."""
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        raise PageError(404, "Not found", f"no {what} {raw[:40]}")
    return int(raw)


def safe_next(value: str | None) -> str:
    """Only local paths: `/sites/3`, never `//evil.example` or `https://...`."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(c in value for c in "\r\n\\"):
        return "/"
    return value


def login_redirect(request: Request) -> Response:
    """Where to send someone who is not signed in (back here after signing in)."""
    if request.headers.get("hx-request"):
        # a live region polling after the session ended: send the whole page to /login
        current = urlsplit(request.headers.get("hx-current-url", ""))
        here = safe_next(current.path + (f"?{current.query}" if current.query else ""))
        return Response(status_code=200, headers={"HX-Redirect": _login_url(here)})
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(_login_url(safe_next(here)), status_code=303)


def _login_url(next_path: str) -> str:
    return "/login" if next_path == "/" else f"/login?next={quote(next_path, safe='/')}"


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, sid: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        sid,
        max_age=int(SESSION_TTL_S),
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=is_https(request)
    )


def form_csrf(request: Request) -> str:
    """The double-submit token for this browser's login/setup form (reused while valid)."""
    current = request.cookies.get(FORM_CSRF_COOKIE, "")
    return current if 20 <= len(current) <= 64 else random_secret(24)


def set_form_csrf(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        FORM_CSRF_COOKIE,
        token,
        max_age=FORM_CSRF_TTL_S,
        path="/",
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def form_csrf_ok(request: Request, sent: str) -> bool:
    cookie = request.cookies.get(FORM_CSRF_COOKIE, "")
    return bool(cookie) and bool(sent) and same(cookie, sent)


@dataclass
class LoginLimits:
    """Sign-in attempts: per account (every attempt counts; success clears it) and per
    address (failures count), so guessing one account and spraying many are both bounded."""

    per_account: RateLimiter
    per_address: RateLimiter

    @classmethod
    def default(cls) -> LoginLimits:
        return cls(per_account=RateLimiter(5, 300.0), per_address=RateLimiter(20, 300.0))

    def wait(self, account: str, address: str, now: float) -> float:
        return max(
            self.per_account.retry_after(account, now),
            self.per_address.retry_after(address, now),
        )


def wait_text(seconds: float) -> str:
    s = max(1, round(seconds))
    if s < 90:
        return f"{s} seconds"
    return f"{(s + 59) // 60} minutes"
