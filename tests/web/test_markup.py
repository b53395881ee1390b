"""The markup every row repeats (web/markup.py): exact HTML, and every value escaped."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from sitekeeper.web.markup import badge, check_line, iso, place_rows, problem_rows, utc, when


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
    hard_status: str = "OK"


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


@dataclass
class Device:
    id: int
    key: str
    name: str
    status: str
    client: str = "acme"
    site: str = "hq"
    since: float | None = 1_800_000_000.0
    reason: str | None = None
    checks: list[Check] = field(default_factory=list)


@dataclass
class Names:
    clients: dict[str, tuple[int, str]]
    sites: dict[tuple[str, str], tuple[int, str]]


NAMES = Names({"acme": (3, "Acme <Dental>")}, {("acme", "hq"): (5, "HQ")})


def test_a_problem_row_links_the_device_where_it_is_and_its_failing_checks() -> None:
    tv = Device(
        7,
        "tv",
        "Lobby TV",
        "DEGRADED",
        checks=[
            Check("http", "CRIT", reason="refused"),
            Check("ping"),  # OK: not listed
            Check("pjlink", "OK", stale=True),
        ],
    )
    html = str(problem_rows([tv], 1_800_000_180.0, NAMES, False))
    assert html.startswith('  <tr role="row" data-device="tv">\n')
    assert html.endswith("  </tr>\n")
    assert '<a href="/devices/7">Lobby TV</a> <span class="key">tv</span>' in html
    assert '<a href="/clients/3">Acme &lt;Dental&gt;</a> › <a href="/sites/5">HQ</a>' in html
    failing = html[html.index('data-label="Failing checks">\n') :]
    assert failing.count('<span class="chk">') == 2 and 'chk-name">ping' not in failing
    assert ': refused</span></span><br><span class="chk"><span class="chk-name">pjlink' in failing
    assert "3 min ago</time>" in html


def test_a_problem_row_without_failing_checks_gives_the_reason_and_escapes_everything() -> None:
    evil = Device(9, "cam", '<img src=x onerror="alert(1)">', "DOWN", client="x", site="y")
    evil.reason = "<script>no answer</script>"
    html = str(problem_rows([evil], 1_800_000_180.0, NAMES, False))
    assert "<img" not in html and "<script>" not in html
    assert '<span class="reason">&lt;script&gt;no answer&lt;/script&gt;</span>' in html
    assert 'data-label="Where">x › y</td>' in html  # unknown names: the keys, without links
    same = Device(4, "nvr", "nvr", "UNKNOWN", reason=None)
    html = str(problem_rows([same], 1_800_000_180.0, NAMES, True))
    assert '<a href="/devices/4">nvr</a></td>' in html  # the key only when it differs
    assert 'data-label="Where"' not in html  # on the site's own page
    assert '<span class="reason">—</span>' in html


def test_place_rows_show_the_worst_status_or_no_devices() -> None:
    tally = SimpleNamespace(total=3, worst="DOWN", summary="3 devices: 1 DOWN, 2 UP", problems=1)
    empty = SimpleNamespace(total=0, worst="UP", summary="no devices", problems=0)
    html = str(
        place_rows(
            [
                SimpleNamespace(id=2, key="a&b", name="A & B", tally=tally),
                SimpleNamespace(id=3, key="c", name="C", tally=empty),
            ],
            "/clients/",
            "client",
        )
    )
    assert '<tr role="row" data-client="a&amp;b">' in html
    assert '<a href="/clients/2">A &amp; B</a>' in html
    assert f'data-label="Worst status">{badge("DOWN")}</td>' in html
    assert 'data-label="Devices">3 devices: 1 DOWN, 2 UP</td>' in html
    assert '<span class="muted">no devices</span>' in html and 'data-label="Devices">0</td>' in html
    assert "No sites to show." in place_rows([], "/sites/", "site")
