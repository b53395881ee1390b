"""The markup every row repeats (web/markup.py): exact HTML, and every value escaped."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from sitekeeper.results.queries import is_failing
from sitekeeper.web.markup import (
    badge,
    check_line,
    fine_rows,
    incident_rows,
    iso,
    place_rows,
    problem_rows,
    utc,
    when,
)


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

    @property
    def failing(self) -> list[Check]:  # as DeviceView's: the checks a list of problems shows
        return [c for c in self.checks if is_failing(c)]  # type: ignore[arg-type]


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


def incident(**changes: object) -> SimpleNamespace:
    fields: dict[str, object] = {
        "id": 12,
        "state": "open",
        "root": SimpleNamespace(id=7, key="sw-1", name="Core <switch>"),
        "severity": 4,
        "acked_at": None,
        "flapping": False,
        "silenced_by": None,
        "client_id": 3,
        "client": "acme & co",
        "site_id": 5,
        "site": "hq",
        "unreachable_count": 0,
        "services": [],
        "opened_at": 1_800_000_000.0,
        "resolved_at": None,
    }
    return SimpleNamespace(**{**fields, **changes})


def test_an_incident_row_shows_its_root_where_it_is_and_since() -> None:
    html = str(incident_rows([incident()], 1_800_000_180.0, resolved=False))
    assert html == (
        '  <tr role="row" data-incident="12">\n'
        '    <td role="cell" data-label="#"><a href="/incidents/12">#12</a></td>\n'
        '    <td role="cell" data-label="Root cause">\n'
        f"      {badge('DOWN')}\n"
        '      <a href="/devices/7">Core &lt;switch&gt;</a> <span class="key">sw-1</span>\n'
        '      <span class="muted">severity 4</span>\n'
        "    </td>\n"
        '    <td role="cell" data-label="Where"><a href="/clients/3">acme &amp; co</a> › '
        '<a href="/sites/5">hq</a></td>\n'
        '    <td role="cell" data-label="Cut off behind it">—</td>\n'
        '    <td role="cell" data-label="Impacted">—</td>\n'
        f'    <td role="cell" data-label="Since">{when(1_800_000_000.0, 1_800_000_180.0)}</td>\n'
        "  </tr>\n"
    )


def test_an_incident_row_marks_acknowledged_flapping_silenced_and_what_it_cuts_off() -> None:
    marked = incident(
        acked_at=1.0,
        flapping=True,
        silenced_by="<maint>",
        unreachable_count=1,
        services=[SimpleNamespace(name="Wi-Fi <guest>"), SimpleNamespace(name="Doors")],
    )
    html = str(incident_rows([marked], 1_800_000_180.0, resolved=False))
    assert '<span class="tag">acknowledged</span>' in html
    assert "FLAPPING</span>" in html
    assert '<span class="tag">silenced: &lt;maint&gt;</span>' in html
    assert f'data-label="Cut off behind it">1 device {badge("UNREACHABLE")}</td>' in html
    assert 'data-label="Impacted">Wi-Fi &lt;guest&gt;, Doors</td>' in html
    many = str(incident_rows([incident(unreachable_count=3)], 0.0, resolved=False))
    assert ">3 devices <span" in many
    done = incident(state="resolved", resolved_at=1_800_000_120.0)
    html = str(incident_rows([done], 1_800_000_180.0, resolved=True))
    assert f"      {badge('UP')}\n" in html
    assert f'data-label="Resolved">{when(1_800_000_120.0, 1_800_000_180.0)}</td>' in html


def test_the_folded_list_links_each_place_with_its_device_count() -> None:
    fine = [
        SimpleNamespace(id=2, key="a&b", name="A <B>", tally=SimpleNamespace(total=50)),
        SimpleNamespace(id=3, key="c", name="C", tally=SimpleNamespace(total=1)),
    ]
    assert str(fine_rows(fine, "/clients/", "client")) == (
        '<li data-client="a&amp;b"><a href="/clients/2">A &lt;B&gt;</a>'
        ' <span class="muted">(50)</span></li>'
        '<li data-client="c"><a href="/clients/3">C</a> <span class="muted">(1)</span></li>'
    )
    assert str(fine_rows([], "/clients/", "client")) == ""
