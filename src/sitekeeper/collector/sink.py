"""Where observations go after a probe: the ResultSink interface.

Embedded: `sitekeeper.results.sink.EmbeddedSink` (batches into the local store).
Remote (later): an HTTPS uplink with a local outbox. The collector only sees this protocol.
"""

from __future__ import annotations

from typing import Protocol

from sitekeeper.observation import Observation


class ResultSink(Protocol):
    async def submit(self, observation: Observation) -> None:
        """Accept one observation; may wait (backpressure) but must not lose it."""

    async def flush(self) -> None:
        """Return once everything submitted so far is stored."""


class ListSink:
    """Keeps observations in memory: for `check run` and for tests of the collector."""

    def __init__(self) -> None:
        self.observations: list[Observation] = []

    async def submit(self, observation: Observation) -> None:
        self.observations.append(observation)

    async def flush(self) -> None:
        return None
