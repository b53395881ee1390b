"""The lab: a simulated integrated site on loopback, with topology-aware fault injection.

    lab = Lab()                  # or run_lab() in the foreground; LabClient from elsewhere
    await lab.start()
    await lab.fail("core-switch")

Modules: plan (where devices listen, the inventory served), faults (pure fault spreading),
services/pages/dns (what devices say), snmp_agent and mibs (what SNMP devices say: a UDP
agent and the MIB views it answers from), device (listeners), lab (orchestration), control
(the JSON API on 127.0.0.1:8479) and client (the CLI's side of it).
"""

from __future__ import annotations

from sitekeeper.lab.client import LabClient
from sitekeeper.lab.faults import UnknownDevice
from sitekeeper.lab.lab import DEFAULT_CONTROL_PORT, Lab, can_listen_on, run_lab
from sitekeeper.lab.plan import site_inventory_path

__all__ = [
    "DEFAULT_CONTROL_PORT",
    "Lab",
    "LabClient",
    "UnknownDevice",
    "can_listen_on",
    "run_lab",
    "site_inventory_path",
]
