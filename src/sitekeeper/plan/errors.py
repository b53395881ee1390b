"""Errors of the planning model: bad input names the field and the fix."""

from __future__ import annotations

from sitekeeper.errors import SitekeeperError


class PlanInputError(SitekeeperError, ValueError):
    """An input to the planning model is out of range or inconsistent."""
