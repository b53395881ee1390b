"""The programs a benchmark compares sitekeeper against, installed from Debian when missing.

    exporter = ensure_debian_package("prometheus-snmp-exporter", SNMP_EXPORTER)
    with running_snmp_exporter(exporter, modules, workdir) as peer:
        url = f"{peer.base_url}/snmp?target=127.0.0.1:1161&module=..."

Installs with `apt-get install -y` (through `sudo -n` when not root, like scripts/ensure-system),
refreshing the package lists once if the first attempt fails. A machine where that cannot
work (no apt-get, no root, no sudo) gets a `PeerMissingError` that says what to install.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

APT_TIMEOUT_S = 600.0
SNMP_EXPORTER = Path("/usr/bin/prometheus-snmp-exporter")


class PeerMissingError(RuntimeError):
    """A program the benchmark compares against is not installed and could not be."""


def _as_root(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return cmd
    if shutil.which("sudo") is None:
        raise PeerMissingError(f"{cmd[-1]} is missing and there is no sudo to install it")
    return ["sudo", "-n", *cmd]


def _apt(args: list[str]) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = _as_root(["env", f"DEBIAN_FRONTEND={env['DEBIAN_FRONTEND']}", "apt-get", *args])
    try:
        done = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return False
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
    return done.returncode == 0


def ensure_debian_package(package: str, binary: Path) -> Path:
    """Return `binary`, installing Debian's `package` first when it is not there."""
    if binary.exists():
        return binary
    if shutil.which("apt-get") is None:
        raise PeerMissingError(f"{binary} is missing: install the {package} package")
    print(f"installing {package} with apt-get ...", file=sys.stderr, flush=True)
    if not _apt(["install", "-y", "-q", package]):
        _apt(["update", "-q"])
        _apt(["install", "-y", "-q", package])
    if not binary.exists():
        raise PeerMissingError(
            f"{binary} is still missing after `apt-get install {package}`: install it as root"
        )
    return binary


def process_cpu_s(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds a process has used so far, all its threads, from
    /proc/PID/stat: how a multi-threaded Go program's cost is counted from outside."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def _free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass(frozen=True)
class Exporter:
    pid: int
    base_url: str


@contextmanager
def _running_exporter(
    name: str, binary: Path, config: Path, ready_path: str, workdir: Path, start_timeout: float
) -> Iterator[Exporter]:
    """An exporter on a free loopback port with `config`; up when `ready_path` answers."""
    port = _free_tcp_port()
    log_path = workdir / f"{name}.log"
    cmd = [
        str(binary),
        f"--config.file={config}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}{ready_path}", timeout=0.5):
                    break
            except OSError as err:
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"{name} did not come up on {base_url}:\n{tail}") from err
                time.sleep(0.05)  # polling a port that is not open yet; bounded above
        yield Exporter(proc.pid, base_url)
    finally:
        _stop(proc)


@contextmanager
def running_snmp_exporter(
    binary: Path, modules: dict[str, Any], workdir: Path, *, start_timeout: float = 15.0
) -> Iterator[Exporter]:
    """Prometheus' snmp_exporter on a free loopback port with `modules` as its snmp.yml
    (0.21's layout: module name -> version, auth, get, walk, metrics). JSON is valid YAML,
    so the file is written with json. Stopped by PID afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "snmp.yml"
    config.write_text(json.dumps(modules, indent=1))
    with _running_exporter(
        "snmp_exporter", binary, config, "/", workdir, start_timeout
    ) as exporter:
        yield exporter


BLACKBOX_EXPORTER = Path("/usr/bin/prometheus-blackbox-exporter")


@contextmanager
def running_blackbox_exporter(
    binary: Path, modules: dict[str, Any], workdir: Path, *, start_timeout: float = 15.0
) -> Iterator[Exporter]:
    """Prometheus' blackbox_exporter on a free loopback port with `modules` as the `modules:`
    of its blackbox.yml (written with json, which is valid YAML). Probe it with
    `{base_url}/probe?module=NAME&target=...`. Stopped by PID afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "blackbox.yml"
    config.write_text(json.dumps({"modules": modules}, indent=1))
    with _running_exporter(
        "blackbox_exporter", binary, config, "/-/healthy", workdir, start_timeout
    ) as exporter:
        yield exporter
