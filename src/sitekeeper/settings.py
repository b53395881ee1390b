"""Settings from the environment (SITEKEEPER_*), with defaults that work out of the box."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("sitekeeper", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SITEKEEPER_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None  # default: SQLite file in the data directory
    collector_id: str = "embedded"
    concurrency: int = Field(default=500, ge=1, le=100_000)
    raw_retention_days: float = Field(default=14.0, gt=0)
    rollup_retention_days: float = Field(default=400.0, gt=0)
    lab_control: str = "127.0.0.1:8479"
    listen: str = "127.0.0.1:8470"  # the dashboard, API and /metrics
    public_url: str | None = None  # how people reach the dashboard (links in notifications)
    # correlation: a root cause pages after `hold_down_s`; longer while a parent is suspect
    hold_down_s: float = Field(default=10.0, ge=0, le=3600)
    suspect_extend_s: float = Field(default=120.0, ge=0, le=3600)
    clear_s: float = Field(default=30.0, ge=0, le=3600)  # back this long before it resolves
    # passive inputs (docs/passive.md): where devices send syslog (UDP and TCP) and SNMP
    # traps; "off" turns a receiver off. 514 and 162 need privileges.
    syslog_listen: str = "0.0.0.0:1514"  # all interfaces: devices send from the LAN
    trap_listen: str = "0.0.0.0:1162"
    trap_communities: str | None = None  # comma-separated; default: accept any community

    @property
    def trap_community_list(self) -> tuple[str, ...] | None:
        if not self.trap_communities:
            return None
        return tuple(c.strip() for c in self.trap_communities.split(",") if c.strip())

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'sitekeeper.db'}"


def load_settings(**overrides: object) -> Settings:
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
