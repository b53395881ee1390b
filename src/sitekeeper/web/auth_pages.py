"""Sign in, sign out, and first-start setup of the first admin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from sitekeeper.api.deps import SESSION_COOKIE, ClockDep, SessionDep, check_csrf
from sitekeeper.api.errors import ApiError
from sitekeeper.auth import accounts
from sitekeeper.auth.passwords import MIN_LENGTH, WeakPassword, check_strength
from sitekeeper.auth.principal import Role
from sitekeeper.db import models as m
from sitekeeper.web import security as sec
from sitekeeper.web.render import render

router = APIRouter(include_in_schema=False)

Field = Annotated[str, Form(max_length=1024)]


def _form(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    token = sec.form_csrf(request)
    response = render(request, template, {**context, "form_csrf": token}, status=status)
    sec.set_form_csrf(response, request, token)
    return response


def _signed_in(
    request: Request, session: SessionDep, user: m.User, now: float, to: str
) -> Response:
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        accounts.end_session(session, old)  # a new id at every sign-in: no session fixation
    sid, _ = accounts.create_session(session, user, now)
    user.last_login_at = now  # also after the setup page, which signs the new admin in
    session.commit()
    response = RedirectResponse(sec.safe_next(to), status_code=303)
    sec.set_session_cookie(response, request, sid)
    response.delete_cookie(sec.FORM_CSRF_COOKIE, path="/")
    return response


@router.get("/login")
def login_page(request: Request, principal: sec.OptionalUser, next: str = "/") -> Response:
    if principal is not None:
        return RedirectResponse(sec.safe_next(next), status_code=303)
    return _form(request, "login.html", {"next": sec.safe_next(next), "email": ""})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    email: Field = "",
    password: Field = "",
    csrf_token: Field = "",
    next: Field = "/",
) -> Response:
    again = {"next": sec.safe_next(next), "email": email[:254]}
    if not sec.form_csrf_ok(request, csrf_token):
        error = "The sign-in form had expired. Please try again."
        return _form(request, "login.html", {**again, "error": error}, status=400)
    limits: sec.LoginLimits = request.app.state.web_login_limits
    now = clock.now()
    account = email.strip().lower()
    address = request.client.host if request.client else "unknown"
    wait = limits.wait(account, address, now)
    if wait > 0:
        error = f"Too many sign-in attempts. Try again in {sec.wait_text(wait)}."
        response = _form(request, "login.html", {**again, "error": error}, status=429)
        response.headers["Retry-After"] = str(max(1, round(wait)))
        return response
    limits.per_account.hit(account, now)
    user = accounts.authenticate(session, email, password, now)
    if user is None:
        limits.per_address.hit(address, now)
        error = "Wrong e-mail address or password."
        return _form(request, "login.html", {**again, "error": error}, status=401)
    limits.per_account.reset(account)
    return _signed_in(request, session, user, now, next)


@router.post("/logout")
def logout(
    request: Request, principal: sec.OptionalUser, session: SessionDep, csrf_token: Field = ""
) -> Response:
    if principal is not None:
        request.state.form_csrf = csrf_token
        try:
            check_csrf(request, principal)
        except ApiError as err:
            raise sec.PageError(403, "Not signed out", err.message) from err
        accounts.end_session(session, request.cookies.get(SESSION_COOKIE, ""))
        session.commit()
    response = RedirectResponse("/login", status_code=303)
    sec.clear_session_cookie(response, request)
    return response


def _setup_allowed(session: SessionDep, token: str) -> None:
    if accounts.has_admin(session):
        raise sec.PageError(410, "Already set up", "An admin exists: sign in instead.")
    valid = accounts.redeem_setup_token(session, token)
    session.rollback()  # only looking: the token is spent when the admin is created
    if not valid:
        raise sec.PageError(
            403,
            "Setup link not valid",
            "This setup link is wrong or replaced: each start of sitekeeper prints a new one.",
        )


@router.get("/setup")
def setup_page(request: Request, session: SessionDep, token: str = "") -> Response:
    _setup_allowed(session, token)
    ctx = {"token": token, "name": "", "email": "", "min_length": MIN_LENGTH}
    return _form(request, "setup.html", ctx)


@router.post("/setup")
def setup(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    token: Field = "",
    name: Field = "",
    email: Field = "",
    password: Field = "",
    password_again: Field = "",
    csrf_token: Field = "",
) -> Response:
    _setup_allowed(session, token)
    ctx = {"token": token, "name": name, "email": email, "min_length": MIN_LENGTH}
    error = None
    if not sec.form_csrf_ok(request, csrf_token):
        error = "The setup form had expired. Please try again."
    elif password != password_again:
        error = "The two passwords differ."
    else:
        try:
            check_strength(password)
            now = clock.now()
            accounts.redeem_setup_token(session, token)
            user = accounts.create_user(
                session,
                email=email,
                name=name.strip() or email,
                role=Role.ADMIN,
                now=now,
                password=password,
            )
        except (WeakPassword, accounts.AccountError) as err:
            session.rollback()
            error = str(err)
        else:
            return _signed_in(request, session, user, now, "/")
    return _form(request, "setup.html", {**ctx, "error": error}, status=400)
