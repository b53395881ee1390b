"""Secrets at rest: channel targets, signing secrets (and later device credentials) are stored
encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from the `cryptography` package).

The key comes from `SITEKEEPER_SECRET_KEY` (urlsafe base64 of 32 bytes), or else from
`secret.key` in the data directory, created on first use with mode 0600. Back that file up
with the database: without it, the stored secrets cannot be read. Several keys separated by
commas rotate: the first encrypts, every one decrypts.

Nothing here logs a secret or puts one in an exception message.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from sitekeeper.errors import ConfigError

ENV_VAR = "SITEKEEPER_SECRET_KEY"
KEY_FILE = "secret.key"
WRONG_KEY = (
    "this store's secrets were encrypted with another key: set SITEKEEPER_SECRET_KEY to the "
    "key it was made with (or restore secret.key in the data directory from your backup)"
)


class SecretKeyError(ConfigError):
    """The key is missing, malformed, or not the one the secrets were encrypted with."""


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _fernet(keys: str, source: str) -> MultiFernet:
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise SecretKeyError(f"{source} is empty; {_HOW_TO_MAKE}")
    try:
        return MultiFernet([Fernet(k.encode("ascii")) for k in parts])
    except (ValueError, UnicodeEncodeError):
        # Never echo the value: it is (nearly) a secret.
        raise SecretKeyError(
            f"{source} is not a valid key (it must be 32 bytes in urlsafe base64); {_HOW_TO_MAKE}"
        ) from None


_HOW_TO_MAKE = (
    "make one with: python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'"
)


def _create_key_file(path: Path) -> None:
    """Write a new key atomically: several processes may start at once, and none may read a
    half-written file. The key goes to a private temporary file that is then hard-linked into
    place, which fails if another process got there first (its key wins)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(generate_key() + "\n")
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):  # another process's key won
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class SecretBox:
    """Encrypt and decrypt short strings. Build one with `SecretBox.for_data_dir(...)` (the
    environment or the key file) or `SecretBox(key)` (tests, tools)."""

    def __init__(self, key: str, *, source: str = "the secret key") -> None:
        self._fernet = _fernet(key, source)

    @classmethod
    def for_data_dir(
        cls, data_dir: Path, *, environ: Mapping[str, str] | None = None, create: bool = True
    ) -> SecretBox:
        env = os.environ if environ is None else environ
        if env.get(ENV_VAR):
            return cls(env[ENV_VAR], source=ENV_VAR)
        path = data_dir / KEY_FILE
        if not path.exists():
            if not create:
                raise SecretKeyError(
                    f"no secret key: {ENV_VAR} is not set and {path} does not exist. "
                    "Restore the key file from your backup, or set the variable"
                )
            try:
                _create_key_file(path)
            except OSError as err:
                raise SecretKeyError(
                    f"cannot create the secret key file {path}: {err.strerror}; set {ENV_VAR} "
                    "or make the data directory writable"
                ) from err
        try:
            key = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as err:
            raise SecretKeyError(f"cannot read the secret key file {path}: {err}") from err
        return cls(key, source=str(path))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise SecretKeyError(WRONG_KEY) from None
