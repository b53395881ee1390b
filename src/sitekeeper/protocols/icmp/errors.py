"""Every error the pinger raises. The icmp probe catches them and turns them into an
Observation.

    SitekeeperError
     +-- IcmpError                  base of everything below
          +-- IcmpPermissionError   the kernel refused the kind of socket (also PermissionError)
          +-- IcmpResolveError      a name that does not resolve
          +-- IcmpClosedError       the pinger was closed while a ping waited
"""

from __future__ import annotations

from sitekeeper.errors import SitekeeperError


class IcmpError(SitekeeperError):
    """Base of every error the pinger raises."""


class IcmpPermissionError(IcmpError, PermissionError):
    """The kernel refused the kind of socket asked for."""


class IcmpResolveError(IcmpError):
    """A name that does not resolve to an address."""


class IcmpClosedError(IcmpError):
    """The pinger was closed while a ping waited."""
