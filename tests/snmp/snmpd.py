"""Debian's snmpd on loopback, for the SNMP engine's tests: its own config,
port, pidfile and persistent directory, so it touches nothing of the system's snmpd.

    with running_snmpd(tmp_path) as agent:
        agent.target(Version.V2C) ...

The v3 users cover every security level and every authentication protocol net-snmp 5.9
offers (MD5, SHA, SHA-224/256/384/512 — RFC 7860), with AES-128 or DES privacy.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sitekeeper.protocols.snmp import AuthProtocol, PrivProtocol, Target, UsmUser, Version
from sitekeeper.protocols.snmp.ber import encode_int, tlv
from sitekeeper.protocols.snmp.message import decode_message, encode_community
from sitekeeper.protocols.snmp.pdu import PduType, encode_null_varbinds

SNMPD = Path("/usr/sbin/snmpd")
COMMUNITY = "public"
LOCATION = "Test Lab, rack 1"
CONTACT = "ops@example.net"
SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)

USERS: dict[str, UsmUser] = {
    "noauth": UsmUser("noauthuser"),
    "md5": UsmUser("md5auth", AuthProtocol.MD5, "md5-auth-pass"),
    "sha": UsmUser("shaauth", AuthProtocol.SHA, "sha-auth-pass"),
    "sha224": UsmUser("sha224auth", AuthProtocol.SHA224, "sha224-auth-pass"),
    "sha256": UsmUser("sha256auth", AuthProtocol.SHA256, "sha256-auth-pass"),
    "sha384": UsmUser("sha384auth", AuthProtocol.SHA384, "sha384-auth-pass"),
    "sha512": UsmUser("sha512auth", AuthProtocol.SHA512, "sha512-auth-pass"),
    "md5-des": UsmUser(
        "md5des", AuthProtocol.MD5, "md5-auth-pass", PrivProtocol.DES, "des-priv-pass"
    ),
    "sha-aes": UsmUser(
        "shaaes", AuthProtocol.SHA, "sha-auth-pass", PrivProtocol.AES, "aes-priv-pass"
    ),
    "sha256-aes": UsmUser(
        "sha256aes", AuthProtocol.SHA256, "sha256-auth-pass", PrivProtocol.AES, "aes256-priv-pass"
    ),
    "sha384-aes": UsmUser(
        "sha384aes", AuthProtocol.SHA384, "sha384-auth-pass", PrivProtocol.AES, "aes384-priv-pass"
    ),
    "sha512-aes": UsmUser(
        "sha512aes", AuthProtocol.SHA512, "sha512-auth-pass", PrivProtocol.AES, "aes512-priv-pass"
    ),
}
_NETSNMP_AUTH = {
    AuthProtocol.MD5: "MD5",
    AuthProtocol.SHA: "SHA",
    AuthProtocol.SHA224: "SHA-224",
    AuthProtocol.SHA256: "SHA-256",
    AuthProtocol.SHA384: "SHA-384",
    AuthProtocol.SHA512: "SHA-512",
}
_NETSNMP_PRIV = {PrivProtocol.DES: "DES", PrivProtocol.AES: "AES"}


def level(user: UsmUser) -> str:
    return ("noAuthNoPriv", "authNoPriv", "", "authPriv")[user.flags]


def netsnmp_security(user: UsmUser) -> list[str]:
    """The net-snmp command-line options for a v3 user."""
    args = ["-v3", "-u", user.name, "-l", level(user)]
    if user.auth_protocol is not AuthProtocol.NONE:
        args += ["-a", _NETSNMP_AUTH[user.auth_protocol], "-A", user.auth_password]
    if user.priv_protocol is not PrivProtocol.NONE:
        args += ["-x", _NETSNMP_PRIV[user.priv_protocol], "-X", user.priv_password]
    return args


def _config(port: int, workdir: Path) -> str:
    lines = [
        f"agentAddress udp:127.0.0.1:{port}",
        f"rocommunity {COMMUNITY} 127.0.0.1",
        f"sysLocation {LOCATION}",
        f"sysContact {CONTACT}",
        "dontLogTCPWrappersConnects yes",
        # snmp.conf settings, scoped to this file (-C keeps the system's files out)
        "[snmp] mibs :",
        f"[snmp] persistentDir {workdir / 'persist'}",
        "[snmp] serverRecvBuf 4194304",
    ]
    for user in USERS.values():
        line = f"createUser {user.name}"
        if user.auth_protocol is not AuthProtocol.NONE:
            line += f' {_NETSNMP_AUTH[user.auth_protocol]} "{user.auth_password}"'
        if user.priv_protocol is not PrivProtocol.NONE:
            line += f' {_NETSNMP_PRIV[user.priv_protocol]} "{user.priv_password}"'
        lines.append(line)
        lines.append(f"rouser {user.name} {('noauth', 'auth', '', 'priv')[user.flags]}")
    return "\n".join(lines) + "\n"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Snmpd:
    host: str
    port: int
    pid: int
    workdir: Path
    tool_env: dict[str, str]  # for net-snmp's command-line tools: no MIBs, no ~/.snmp

    @property
    def address(self) -> str:
        return f"udp:{self.host}:{self.port}"

    def target(
        self, version: Version = Version.V2C, user: str | None = None, **kw: float | int
    ) -> Target:
        return Target(
            self.host,
            self.port,
            version=version,
            community=COMMUNITY,
            user=USERS[user] if user else None,
            timeout=float(kw.get("timeout", 2.0)),
            retries=int(kw.get("retries", 1)),
        )


def _answers(port: int) -> bool:
    """One v2c GET of sysDescr.0 with a short timeout."""
    head = encode_int(1) + encode_int(0) + encode_int(0)
    pdu = tlv(PduType.GET, head + encode_null_varbinds((SYS_DESCR,)))
    request = encode_community(Version.V2C, COMMUNITY.encode(), pdu)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.2)
        sock.sendto(request, ("127.0.0.1", port))
        try:
            data = sock.recv(65535)
        except TimeoutError:
            return False
    decode_message(data)
    return True


@contextmanager
def running_snmpd(workdir: Path, *, start_timeout: float = 15.0) -> Iterator[Snmpd]:
    """Start snmpd in the foreground (`-f -Lo -C -c conf -p pidfile`), wait until it
    answers (polling with short timeouts, bounded), and stop it by PID afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "persist").mkdir(exist_ok=True)
    tools = workdir / "tools"
    tools.mkdir(exist_ok=True)
    (tools / "snmp.conf").write_text("mibs :\n")
    port = free_udp_port()
    conf = workdir / "snmpd.conf"
    conf.write_text(_config(port, workdir))
    log_path = workdir / "snmpd.log"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SNMPCONFPATH": str(workdir / "none")}
    cmd = [str(SNMPD), "-f", "-Lo", "-C", "-c", str(conf), "-p", str(workdir / "snmpd.pid")]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + start_timeout
        while not _answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"snmpd did not come up on 127.0.0.1:{port}:\n{tail}")
        tool_env = {
            "PATH": env["PATH"],
            "SNMPCONFPATH": str(tools),
            "SNMP_PERSISTENT_DIR": str(workdir / "tools-persist"),
            "HOME": str(workdir),
        }
        yield Snmpd("127.0.0.1", port, proc.pid, workdir, tool_env)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
