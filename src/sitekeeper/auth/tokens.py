"""Random secrets: API tokens (`skt_<prefix>_<secret>`), session ids, CSRF and setup tokens.

Tokens carry 256 bits of randomness, so a fast hash (SHA-256) is the right way to store them:
a slow KDF protects guessable secrets like passwords, which these are not.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "skt_"  # noqa: S105 - a marker, not a secret


def random_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def new_api_token() -> tuple[str, str, str]:
    """Return (token, prefix, sha256). The token is shown once and never stored."""
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_PREFIX}{prefix}_{random_secret(32)}"
    return token, prefix, digest(token)


def split_api_token(token: str) -> str | None:
    """The prefix of a well-formed token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    rest = token[len(TOKEN_PREFIX) :]
    prefix, sep, secret = rest.partition("_")
    if not sep or len(prefix) != 12 or len(secret) < 32:
        return None
    return prefix
