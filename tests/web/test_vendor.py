"""The vendored front-end files are what VENDORED.md says, with their licences; nothing is
loaded from elsewhere."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sitekeeper.web.templating import STATIC_DIR, TEMPLATE_DIR

VENDOR = STATIC_DIR / "vendor"


def test_every_vendored_file_matches_its_recorded_hash() -> None:
    table = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", _vendored(), re.M)
    recorded = dict(table)
    on_disk = {p.name for p in VENDOR.iterdir() if p.name != "VENDORED.md"}
    assert set(recorded) == on_disk
    for name, digest in recorded.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


def test_each_library_comes_with_its_licence() -> None:
    assert "Zero-Clause BSD" in (VENDOR / "htmx.LICENSE").read_text()
    assert "MIT License" in (VENDOR / "uPlot.LICENSE").read_text()
    assert re.search(r"\| 2\.0\.\d+ \|", _vendored())  # htmx 2.0.x
    assert re.search(r"\| 1\.6\.\d+ \|", _vendored())  # uPlot 1.6.x


def test_templates_load_nothing_from_another_origin() -> None:
    for template in TEMPLATE_DIR.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), template


def _vendored() -> str:
    return Path(VENDOR / "VENDORED.md").read_text()
