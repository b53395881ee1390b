"""The store: one object that opens the database (migrating it to the current schema) and
hands out sessions. SQLite in the data directory unless SITEKEEPER_DATABASE_URL says otherwise."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sitekeeper.db import migrate
from sitekeeper.db.session import check_connection, make_engine, safe_url, session_factory
from sitekeeper.settings import Settings


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions: sessionmaker[Session] = session_factory(engine)

    @classmethod
    def open(cls, settings: Settings, *, upgrade: bool = True) -> Store:
        engine = make_engine(settings.effective_database_url)
        check_connection(engine)
        if upgrade:
            migrate.ensure_current(engine)
        return cls(engine)

    @classmethod
    def from_url(cls, url: str, *, upgrade: bool = True) -> Store:
        engine = make_engine(url)
        check_connection(engine)
        if upgrade:
            migrate.ensure_current(engine)
        return cls(engine)

    @property
    def url(self) -> str:
        return safe_url(str(self.engine.url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return self._sessions()

    def close(self) -> None:
        self.engine.dispose()
