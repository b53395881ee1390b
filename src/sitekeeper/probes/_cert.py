"""Read a peer certificate's expiry from its DER bytes, verified or not.

The standard library only decodes a certificate it has verified (`getpeercert()` is empty
otherwise), yet the certificates worth watching most are the self-signed ones devices
ship with; so the DER form is parsed with `cryptography`. It is imported lazily, so a
collector installed without it still runs every other probe.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

from sitekeeper.observation import Value

SECONDS_PER_DAY = 86400.0


class CertUnreadable(Exception):
    """The certificate could not be read (not sent, not parseable, or no parser)."""


@dataclass(frozen=True, slots=True)
class CertInfo:
    not_after: float  # epoch seconds
    subject: str
    issuer: str

    def days_left(self, now: float) -> float:
        """Days until expiry; negative once expired."""
        return round((self.not_after - now) / SECONDS_PER_DAY, 3)

    def details(self) -> dict[str, Value]:
        return {"subject": self.subject, "issuer": self.issuer, "not_after": self.not_after}


def peer_der(ssl_object: Any) -> bytes:
    """The peer's certificate (DER) from an `ssl.SSLObject`/`SSLSocket`, or CertUnreadable."""
    if not isinstance(ssl_object, ssl.SSLObject | ssl.SSLSocket):
        raise CertUnreadable("no TLS session")
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        raise CertUnreadable("the server sent no certificate")
    return der


def read_cert(der: bytes) -> CertInfo:
    try:
        from cryptography import x509
    except ImportError as err:  # pragma: no cover - depends on the install
        raise CertUnreadable("reading certificates needs the 'cryptography' package") from err
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as err:
        raise CertUnreadable(f"unparseable certificate: {err}") from err
    return CertInfo(
        not_after=cert.not_valid_after_utc.timestamp(),
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
    )
