"""The router's DNS service: answers A queries for the lab's names, NXDOMAIN otherwise.

`lab.example.` is the gateway and `<device-id>.lab.example.` each device, so a DNS check
can prove the resolver knows the site. UDP is a DatagramProtocol (one reply per query,
delayed or dropped like any other reply of a degraded device); TCP reuses `answer()`.
"""

from __future__ import annotations

from collections.abc import Callable

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from sitekeeper.lab.udp import LaggyUdp

TTL = 60


def answer(query_wire: bytes, zone: dict[str, str]) -> bytes | None:
    """The reply to one query in wire format, or None when it is not a DNS query at all."""
    try:
        query = dns.message.from_wire(query_wire)
    except (dns.exception.DNSException, ValueError):
        return None
    reply = dns.message.make_response(query)
    reply.flags |= dns.flags.AA | dns.flags.RA
    for question in query.question:
        name = question.name.to_text().lower()
        address = zone.get(name)
        if address is None:
            reply.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.A:
            reply.answer.append(
                dns.rrset.from_text(question.name, TTL, dns.rdataclass.IN, "A", address)
            )
        # a known name asked for another type: NOERROR with no answer (NODATA)
    return reply.to_wire()


class UdpDns(LaggyUdp):
    """One socket of the router. `latency` and `drops` are read per query, so a fault
    injected while the socket is open applies to the next query."""

    def __init__(
        self,
        zone: dict[str, str],
        latency: Callable[[], float],
        drops: Callable[[], bool],
    ) -> None:
        super().__init__(latency, drops)
        self._zone = zone

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        if self._drops():
            return  # lost: the client times out, as it would on a lossy link
        reply = answer(data, self._zone)
        if reply is not None:
            self.reply(reply, addr)
