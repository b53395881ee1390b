"""One embedded runtime per SQLite data directory: a second `sitekeeper up` on the same
store is refused with a clear message instead of double-checking every device."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sitekeeper.errors import AlreadyRunning
from sitekeeper.settings import Settings


@contextlib.contextmanager
def data_dir_lock(settings: Settings, dialect: str) -> Iterator[None]:
    if dialect != "sqlite":  # several server processes may share PostgreSQL
        yield
        return
    path = Path(settings.data_dir) / "sitekeeper.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = Path(path).read_text(encoding="utf-8").strip() or "?"
            raise AlreadyRunning(
                f"sitekeeper is already running on {settings.data_dir} (pid {pid}); "
                "stop it first, or set SITEKEEPER_DATA_DIR to use another data directory"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)
