"""A self-signed certificate for the lab's HTTPS devices, minted at start.

Real AV and network gear ships self-signed certificates, so one CA-less certificate that
names every lab address is both realistic and enough. It is an EC P-256 key (generated in
about a millisecond, where RSA takes tens) written to the lab's private temp directory,
because `ssl` loads chains only from files; the directory is removed when the lab stops.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sitekeeper.errors import LabError

VALID_DAYS = 365


def server_context(addresses: Iterable[str], directory: Path) -> ssl.SSLContext:
    """A server-side TLS context whose certificate names `addresses` and localhost."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError as err:  # cryptography comes with the `server` extra
        raise LabError(
            "the lab needs the `cryptography` package for its HTTPS devices; "
            "install sitekeeper with the server extra: pip install 'sitekeeper[server]'"
        ) from err

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "sitekeeper lab"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sitekeeper lab (self-signed)"),
        ]
    )
    sans: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.DNSName("*.lab.example")]
    sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in sorted(set(addresses))]
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "lab-cert.pem"
    key_path = directory / "lab-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx
