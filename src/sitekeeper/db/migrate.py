"""Apply and check migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from sitekeeper.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def ensure_current(engine: Engine) -> None:
    """Upgrade to head; refuse to run against a database newer than this code."""
    current = current_revision(engine)
    head = head_revision()
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(
            f"the database is at schema revision {current}, which this version of sitekeeper "
            "does not know (it was written by a newer version); upgrade sitekeeper"
        )
    if current != head:
        upgrade(engine)


def check(engine: Engine) -> None:
    """Raise if the models differ from the migrations (like `alembic check`)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration (developers: `python -m sitekeeper.db.migrate MESSAGE`)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)


if __name__ == "__main__":  # pragma: no cover - developer tool
    import sys
    import tempfile

    from sitekeeper.db.session import make_engine

    with tempfile.TemporaryDirectory() as tmp:
        eng = make_engine(f"sqlite:///{tmp}/gen.db")
        upgrade(eng)
        revision(eng, " ".join(sys.argv[1:]) or "change")
