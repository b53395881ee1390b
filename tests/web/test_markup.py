"""The markup every row repeats (web/markup.py): exact HTML, and every value escaped."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from sitekeeper.web.markup import badge, check_line, iso, utc, when


@dataclass
class Check:
    name: str
    status: str = "OK"
    state_type: str = "HARD"
    attempt: int = 1
    max_attempts: int = 3
    flapping: bool = False
    stale: bool = False
    reason: str | None = None


def test_a_badge_is_a_word_and_a_symbol_hidden_from_screen_readers() -> None:
    assert str(badge("DOWN")) == (
        '<span class="badge st-down"><span aria-hidden="true">✖</span> DOWN</span>'
    )
    assert '<span aria-hidden="true">?</span> <b>' not in badge("<b>")
    assert "&lt;b&gt;" in badge("<b>")


def test_a_time_reads_as_ago_with_the_exact_time_beside_it() -> None:
    assert str(when(None, 100.0)) == "—"
    assert str(when(1_800_000_000.0, 1_800_000_180.0)) == (
        '<time datetime="2027-01-15T08:00:00+00:00" title="2027-01-15 08:00:00 UTC">'
        "3 min ago</time>"
    )


def test_a_check_line_shows_soft_attempts_flapping_staleness_and_the_reason() -> None:
    line = check_line(
        Check("http", "CRIT", "SOFT", 2, 3, flapping=True, stale=True, reason="refused")
    )
    assert str(line) == (
        '<span class="chk"><span class="chk-name">http</span> '
        '<span class="badge st-crit"><span aria-hidden="true">✖</span> CRIT</span>'
        ' <span class="soft">(soft 2/3)</span>'
        ' <span class="badge st-flapping"><span aria-hidden="true">↯</span> FLAPPING</span>'
        ' <span class="badge st-stale"><span aria-hidden="true">⌛</span> STALE</span>'
        '<span class="reason">: refused</span></span>'
    )
    assert "soft" not in check_line(Check("ping"))  # OK: no attempts, no reason


def test_names_and_reasons_from_devices_are_escaped() -> None:
    line = str(check_line(Check('<img src=x onerror="alert(1)">', "WARN", reason="<script>")))
    assert "<img" not in line and "<script>" not in line
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in line and "&lt;script&gt;" in line


@given(st.floats(min_value=1.0, max_value=4e9))
def test_the_title_of_a_time_is_its_utc_words(ts: float) -> None:
    assert f'title="{utc(ts)}"' in when(ts, ts + 5)
    assert f'datetime="{iso(ts)}"' in when(ts, ts + 5)
