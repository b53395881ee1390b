"""Probes: one module per protocol, one signature (see `base`), one registry.

Adding a probe: a spec class in `sitekeeper.checks` (joined in `specs.CheckSpec`), a module here with
`async def probe(target, spec, ctx) -> Observation`, and one line in PROBES.
"""

from __future__ import annotations

from sitekeeper.probes import (
    dns,
    http,
    icmp,
    mqtt,
    onvif,
    pjlink,
    rtsp,
    snmp,
    sonos,
    tcp,
    tls,
)
from sitekeeper.probes.base import ProbeContext, ProbeFn, Target

PROBES: dict[str, ProbeFn] = {
    "icmp": icmp.probe,
    "tcp": tcp.probe,
    "http": http.probe,
    "dns": dns.probe,
    "tls": tls.probe,
    "mqtt": mqtt.probe,
    "pjlink": pjlink.probe,
    "rtsp": rtsp.probe,
    "sonos": sonos.probe,
    "onvif": onvif.probe,
    "snmp": snmp.probe,
}

__all__ = ["PROBES", "ProbeContext", "ProbeFn", "Target"]
