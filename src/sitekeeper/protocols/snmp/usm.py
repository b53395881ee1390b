"""The User-based Security Model's cryptography (RFC 3414), with `cryptography`.

- Keys: a password becomes a master key by hashing 1 MiB of the repeated password, then is
  *localized* to one agent as H(Ku || engineID || Ku) (RFC 3414 §2.6, A.2). The same
  algorithm with SHA-2 gives the RFC 7860 keys. Both steps are cached: the first costs a
  millisecond, and a poller meets the same (password, engine) pair every minute.
- Authentication: HMAC over the whole message, truncated — 12 octets for MD5 and SHA-1
  (RFC 3414 §6, §7), 16/24/32/48 for SHA-224/256/384/512 (RFC 7860 §4.2).
- Privacy: AES-128 in CFB mode, IV = engineBoots || engineTime || 64-bit salt, the salt
  sent as msgPrivacyParameters (RFC 3826 §3.1.2.1); DES-CBC with IV = pre-IV XOR salt
  (RFC 3414 §8.1.1.1) for old devices. The privacy key is localized with the auth hash.
"""

from __future__ import annotations

import enum
import itertools
import secrets
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # cryptography >= 47 moved CFB (and TripleDES) to the "decrepit" package
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.algorithms import (  # type: ignore[attr-defined,no-redef,unused-ignore]
        TripleDES,
    )
    from cryptography.hazmat.primitives.ciphers.modes import CFB  # type: ignore[no-redef,unused-ignore]
from cryptography.hazmat.primitives.ciphers.modes import CBC

from .errors import SnmpAuthError, SnmpEncodeError


class AuthProtocol(enum.Enum):
    NONE = "none"
    MD5 = "md5"
    SHA = "sha"  # HMAC-SHA-96, RFC 3414 §7
    SHA224 = "sha224"  # usmHMAC128SHA224AuthProtocol, RFC 7860
    SHA256 = "sha256"  # usmHMAC192SHA256AuthProtocol
    SHA384 = "sha384"  # usmHMAC256SHA384AuthProtocol
    SHA512 = "sha512"  # usmHMAC384SHA512AuthProtocol

    @property
    def digest_length(self) -> int:
        """Octets of msgAuthenticationParameters."""
        return _DIGEST_LENGTHS[self]

    def hash(self) -> hashes.HashAlgorithm:
        return _HASHES[self]()


class PrivProtocol(enum.Enum):
    NONE = "none"
    DES = "des"  # CBC-DES, RFC 3414 §8 (old devices only)
    AES = "aes"  # CFB128-AES-128, RFC 3826


_DIGEST_LENGTHS = {
    AuthProtocol.NONE: 0,
    AuthProtocol.MD5: 12,
    AuthProtocol.SHA: 12,
    AuthProtocol.SHA224: 16,
    AuthProtocol.SHA256: 24,
    AuthProtocol.SHA384: 32,
    AuthProtocol.SHA512: 48,
}
_HASHES: dict[AuthProtocol, type[hashes.HashAlgorithm]] = {
    AuthProtocol.MD5: hashes.MD5,
    AuthProtocol.SHA: hashes.SHA1,
    AuthProtocol.SHA224: hashes.SHA224,
    AuthProtocol.SHA256: hashes.SHA256,
    AuthProtocol.SHA384: hashes.SHA384,
    AuthProtocol.SHA512: hashes.SHA512,
}


@dataclass(frozen=True, slots=True)
class UsmUser:
    """SNMPv3 credentials. The passwords never appear in a repr (DESIGN invariant 8)."""

    name: str
    auth_protocol: AuthProtocol = AuthProtocol.NONE
    auth_password: str = field(default="", repr=False)
    priv_protocol: PrivProtocol = PrivProtocol.NONE
    priv_password: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not 0 < len(self.name.encode()) <= 32:
            raise SnmpEncodeError("an SNMPv3 user name has 1 to 32 octets (RFC 3414 §2.4)")
        if self.priv_protocol is not PrivProtocol.NONE and self.auth_protocol is AuthProtocol.NONE:
            raise SnmpEncodeError("SNMPv3 privacy needs authentication too (RFC 3414 §3.1.1)")
        for proto, password in (
            (self.auth_protocol.value, self.auth_password),
            (self.priv_protocol.value, self.priv_password),
        ):
            if proto != "none" and len(password.encode()) < 8:
                # RFC 3414 §11.2 asks for at least 8 characters; net-snmp refuses fewer.
                raise SnmpEncodeError("SNMPv3 passwords need at least 8 characters")

    @property
    def flags(self) -> int:
        """msgFlags auth/priv bits for this user's security level."""
        auth = self.auth_protocol is not AuthProtocol.NONE
        priv = self.priv_protocol is not PrivProtocol.NONE
        return (1 if auth else 0) | (2 if priv else 0)


@dataclass(frozen=True, slots=True)
class LocalizedKeys:
    auth: bytes = field(repr=False)
    priv: bytes = field(repr=False)


def _digest(proto: AuthProtocol, data: bytes) -> bytes:
    h = hashes.Hash(proto.hash())
    h.update(data)
    return h.finalize()


@lru_cache(maxsize=256)
def password_to_key(proto: AuthProtocol, password: bytes) -> bytes:
    """RFC 3414 A.2: hash the password repeated to fill 1,048,576 octets."""
    repeated = password * (1048576 // len(password) + 1)
    return _digest(proto, repeated[:1048576])


def localize(proto: AuthProtocol, master: bytes, engine_id: bytes) -> bytes:
    """RFC 3414 §2.6: Kul = H(Ku || snmpEngineID || Ku)."""
    return _digest(proto, master + engine_id + master)


@lru_cache(maxsize=4096)
def localized_keys(user: UsmUser, engine_id: bytes) -> LocalizedKeys:
    proto = user.auth_protocol
    if proto is AuthProtocol.NONE:
        return LocalizedKeys(b"", b"")
    auth = localize(proto, password_to_key(proto, user.auth_password.encode()), engine_id)
    priv = b""
    if user.priv_protocol is not PrivProtocol.NONE:
        master = password_to_key(proto, user.priv_password.encode())
        priv = localize(proto, master, engine_id)[:16]  # AES-128 key, or DES key + pre-IV
        if len(priv) < 16:  # pragma: no cover - every auth hash gives >= 16 octets
            raise SnmpEncodeError("privacy key too short")
    return LocalizedKeys(auth, priv)


def sign(proto: AuthProtocol, key: bytes, message: bytes) -> bytes:
    """The truncated HMAC of `message` (its auth parameters still zero)."""
    mac = crypto_hmac.HMAC(key, proto.hash())
    mac.update(message)
    return mac.finalize()[: proto.digest_length]


# RFC 3826 §3.1.2.1 and RFC 3414 §8.1.1.1 want a salt that never repeats under one key: a
# 64-bit counter from a random start, shared by the process.
_salts = itertools.count(secrets.randbits(64))


def _next_salt() -> int:
    return next(_salts) & 0xFFFFFFFFFFFFFFFF


def encrypt(
    proto: PrivProtocol, key: bytes, boots: int, time: int, plaintext: bytes
) -> tuple[bytes, bytes]:
    """(ciphertext, msgPrivacyParameters)."""
    if proto is PrivProtocol.AES:
        salt = _next_salt().to_bytes(8, "big")
        iv = boots.to_bytes(4, "big") + time.to_bytes(4, "big") + salt
        enc = Cipher(algorithms.AES(key[:16]), CFB(iv)).encryptor()
        return enc.update(plaintext) + enc.finalize(), salt
    salt = boots.to_bytes(4, "big") + (_next_salt() & 0xFFFFFFFF).to_bytes(4, "big")
    iv = bytes(a ^ b for a, b in zip(key[8:16], salt, strict=True))
    padded = plaintext + bytes(-len(plaintext) % 8)
    enc = Cipher(TripleDES(key[:8] * 3), CBC(iv)).encryptor()  # K1=K2=K3 is single DES
    return enc.update(padded) + enc.finalize(), salt


def decrypt(
    proto: PrivProtocol, key: bytes, boots: int, time: int, salt: bytes, ciphertext: bytes
) -> bytes:
    if len(salt) != 8:
        raise SnmpAuthError("decryption error: msgPrivacyParameters is not 8 octets")
    if proto is PrivProtocol.AES:
        iv = boots.to_bytes(4, "big") + time.to_bytes(4, "big") + salt
        dec = Cipher(algorithms.AES(key[:16]), CFB(iv)).decryptor()
        return dec.update(ciphertext) + dec.finalize()
    if len(ciphertext) % 8:
        raise SnmpAuthError("decryption error: DES ciphertext is not a multiple of 8 octets")
    iv = bytes(a ^ b for a, b in zip(key[8:16], salt, strict=True))
    dec = Cipher(TripleDES(key[:8] * 3), CBC(iv)).decryptor()
    return dec.update(ciphertext) + dec.finalize()
