"""Open the database: SQLite (WAL, foreign keys, busy timeout) by default, PostgreSQL when
SITEKEEPER_DATABASE_URL says so. Migrations are applied on open, so a fresh data directory
just works."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from sitekeeper.errors import ConfigError, DatabaseUnreachable


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


BUSY_TIMEOUT_S = 10.0


def _use_wal(cur: Any) -> None:
    """Switch the file to WAL (it stays so), waiting for other processes doing the same.

    Switching needs the write lock, and SQLite answers "database is locked" at once, without
    waiting out the busy timeout, when another connection holds it: two processes opening a
    new store together both try. So look first, and try again until the timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while cur.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            cur.execute("PRAGMA journal_mode=WAL")  # an in-memory database stays "memory"
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    _use_wal(cur)
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a crash loses at most the last commit
    cur.close()


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise ConfigError(
            f"SITEKEEPER_DATABASE_URL is not a database URL ({err}); use e.g. "
            "postgresql+psycopg://user@host/dbname or sqlite:///path/to/file.db"
        ) from err
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            try:
                Path(db).parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise ConfigError(
                    f"cannot create the data directory {Path(db).parent}: {err.strerror}; "
                    "set SITEKEEPER_DATA_DIR to a writable directory"
                ) from err
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=10)
        except ModuleNotFoundError as err:
            raise ConfigError(
                "PostgreSQL support is not installed: pip install 'sitekeeper[postgresql]'"
            ) from err
    raise ConfigError(
        f"unsupported database {parsed.get_backend_name()!r} in SITEKEEPER_DATABASE_URL; "
        "use sqlite or postgresql"
    )


def check_connection(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as err:
        reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
        raise DatabaseUnreachable(
            f"cannot reach the database at {safe_url(str(engine.url))}: {reason}. "
            "Is the server running? Check SITEKEEPER_DATABASE_URL."
        ) from err


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
