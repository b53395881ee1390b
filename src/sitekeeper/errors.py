"""The exception tree. Library exceptions are caught at the adapter and re-raised `from err`.

    SitekeeperError
     +-- ConfigError            settings or environment are wrong (names the variable and the fix)
     +-- InventoryError         an inventory file is invalid (carries every Problem found)
     +-- StoreError             the database cannot be opened, migrated or written
     |    +-- DatabaseUnreachable
     +-- NotFound               a named client, site, device or check does not exist
     +-- Ambiguous              a short name matches several things
     +-- LabError               the simulated site cannot start or be reached
     +-- AlreadyRunning         another process holds the data directory
     +-- AccountError           an account or token request that cannot be done as asked

Probes never raise: they return an Observation with `ok=False` and an error text.
"""

from __future__ import annotations


class SitekeeperError(Exception):
    """Base for every error sitekeeper reports to a user."""


class ConfigError(SitekeeperError):
    pass


class StoreError(SitekeeperError):
    pass


class DatabaseUnreachable(StoreError):
    pass


class NotFound(SitekeeperError):
    pass


class Ambiguous(SitekeeperError):
    pass


class LabError(SitekeeperError):
    pass


class AlreadyRunning(SitekeeperError):
    pass


class AccountError(SitekeeperError):
    """An account request that cannot be done as asked (duplicate user, wrong role, ...)."""


class Problem:
    """One thing wrong with an input file: where it is and how to fix it."""

    __slots__ = ("file", "line", "message", "path")

    def __init__(self, file: str, line: int | None, path: str, message: str) -> None:
        self.file = file
        self.line = line
        self.path = path
        self.message = message

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        at = f" ({self.path})" if self.path else ""
        return f"{where}{at}: {self.message}"

    def __repr__(self) -> str:
        return f"Problem({self!s})"

    def as_dict(self) -> dict[str, str | int | None]:
        return {"file": self.file, "line": self.line, "path": self.path, "message": self.message}


class InventoryError(SitekeeperError):
    """An inventory is invalid. Nothing was applied; every problem found is listed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        n = len(problems)
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the inventory:\n{lines}")
