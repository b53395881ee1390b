"""One embedded runtime per store: a second `sitekeeper up` (or `demo`) on the same store is
refused with a clear message instead of checking every device twice and racing on state.

SQLite: an exclusive lock on a file in the data directory. PostgreSQL: a session advisory
lock held on a dedicated connection (released if the process dies).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text

from sitekeeper.errors import AlreadyRunning
from sitekeeper.settings import Settings

# An arbitrary, fixed 64-bit key for pg_try_advisory_lock ("sitekeep" in ASCII).
_PG_LOCK_KEY = 0x736974656B656570 - (1 << 63)


@contextlib.contextmanager
def runtime_lock(settings: Settings, engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine):
            yield
    else:
        with _file_lock(Path(settings.data_dir)):
            yield


@contextlib.contextmanager
def _pg_lock(engine: Engine) -> Iterator[None]:
    with engine.connect() as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _PG_LOCK_KEY}).scalar()
        conn.commit()
        if not got:
            raise AlreadyRunning(
                "sitekeeper is already running against this database; stop it first "
                "(several server processes on one PostgreSQL come with the server, not `up`)"
            )
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
            conn.commit()


@contextlib.contextmanager
def _file_lock(data_dir: Path) -> Iterator[None]:
    path = data_dir / "sitekeeper.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = path.read_text(encoding="utf-8").strip() or "?"
            raise AlreadyRunning(
                f"sitekeeper is already running on {data_dir} (pid {pid}); "
                "stop it first, or set SITEKEEPER_DATA_DIR to use another data directory"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)
