"""SNMP fixtures: one snmpd for the session (see `snmpd.py`), and a client per test.

snmpd must be installed in CI (CI=1): there these tests fail rather than skip. On a machine
without /usr/sbin/snmpd they skip and say how to get it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from sitekeeper.protocols.snmp import SnmpClient
from tests.snmp.snmpd import SNMPD, Snmpd, running_snmpd

IN_CI = bool(os.environ.get("CI"))


def require(path: Path | str, what: str) -> None:
    """Skip (or, in CI, fail) when a Debian tool the test needs is missing."""
    found = Path(path).exists() if os.sep in str(path) else shutil.which(str(path))
    if found:
        return
    message = f"{what} ({path}) is not installed; `make test` installs Debian's snmpd and snmp"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd]:
    require(SNMPD, "net-snmp's agent")
    with running_snmpd(tmp_path_factory.mktemp("snmpd")) as agent:
        yield agent


@pytest.fixture
def netsnmp_tools() -> None:
    for tool in ("snmpget", "snmpgetnext", "snmpbulkget", "snmpwalk", "snmpbulkwalk"):
        require(tool, "net-snmp's command-line tools")


@pytest.fixture
async def client() -> AsyncIterator[SnmpClient]:
    async with SnmpClient() as snmp:
        yield snmp
