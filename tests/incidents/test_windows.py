"""Maintenance windows as timelines: fixed UTC instants in, spans and decisions out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sitekeeper.incidents.schedule import parse_presence
from sitekeeper.incidents.windows import MaintenanceWindow, matches, parse_windows
from sitekeeper.incidents.windows_silence import Silenced, Target, silence

LONDON, NEW_YORK = "Europe/London", "America/New_York"
H = 3600.0


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=UTC).timestamp()


def local(ts: float, tz: str = LONDON) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M %Z")


def window(**kw: Any) -> MaintenanceWindow:
    data: dict[str, Any] = {"id": "w", "name": "Window", "duration": "2h", "timezone": LONDON}
    return MaintenanceWindow.model_validate(data | kw)


def starts(w: MaintenanceWindow, a: float, b: float, tz: str = LONDON) -> list[str]:
    return [local(s, tz) for s, _ in w.occurrences(a, b)]


# -- one-off -----------------------------------------------------------------------------------


def test_a_one_off_window_is_active_from_its_start_until_its_duration_has_passed() -> None:
    w = window(start="2025-01-14 22:00")  # GMT: local = UTC in January
    assert not w.active_at(utc(2025, 1, 14, 21, 59))
    assert w.active_at(utc(2025, 1, 14, 22))
    assert w.active_at(utc(2025, 1, 14, 23, 59))
    assert not w.active_at(utc(2025, 1, 15, 0))
    assert w.occurrences(utc(2025, 1, 1), utc(2026, 1, 1)) == [
        (utc(2025, 1, 14, 22), utc(2025, 1, 15))
    ]


def test_a_one_off_window_starts_once_even_far_ahead() -> None:
    w = window(start="2025-09-01 09:00")
    assert w.next_start(utc(2025, 1, 1)) == utc(2025, 9, 1, 8)  # 09:00 BST
    assert w.next_start(utc(2025, 9, 1, 8)) is None


def test_a_one_off_window_in_summer_uses_summer_time() -> None:
    w = window(start="2025-07-01 22:00")
    assert w.occurrences(utc(2025, 7, 1), utc(2025, 7, 3)) == [
        (utc(2025, 7, 1, 21), utc(2025, 7, 1, 23))
    ]


# -- weekly ------------------------------------------------------------------------------------


def test_a_weekly_window_repeats_every_week_not_just_once() -> None:
    # Uptime Kuma's recurring windows ran only once (louislam/uptime-kuma#3012).
    w = window(start="2025-01-07 22:00", repeat="weekly")
    got = starts(w, utc(2025, 1, 1), utc(2025, 2, 12))
    assert got == [
        f"Tue 2025-{d} 22:00 GMT" for d in ("01-07", "01-14", "01-21", "01-28", "02-04", "02-11")
    ]
    assert w.active_at(utc(2025, 6, 3, 21, 30))  # week 22, in summer time
    assert not w.active_at(utc(2025, 6, 3, 23, 30))


def test_a_weekly_window_keeps_local_time_when_london_springs_forward() -> None:
    w = window(start="2025-03-18 22:00", repeat="weekly")
    spans = w.occurrences(utc(2025, 3, 17), utc(2025, 4, 10))
    assert [s for s, _ in spans] == [
        utc(2025, 3, 18, 22),
        utc(2025, 3, 25, 22),
        utc(2025, 4, 1, 21),
        utc(2025, 4, 8, 21),
    ]
    assert starts(w, utc(2025, 3, 17), utc(2025, 4, 10))[2] == "Tue 2025-04-01 22:00 BST"


def test_a_weekly_window_keeps_local_time_when_london_falls_back() -> None:
    w = window(start="2025-10-14 22:00", repeat="weekly")
    assert [s for s, _ in w.occurrences(utc(2025, 10, 13), utc(2025, 11, 5))] == [
        utc(2025, 10, 14, 21),
        utc(2025, 10, 21, 21),
        utc(2025, 10, 28, 22),
        utc(2025, 11, 4, 22),
    ]


def test_a_weekly_window_keeps_local_time_when_new_york_springs_forward() -> None:
    w = window(start="2025-02-25 22:00", timezone=NEW_YORK, repeat="weekly")
    assert [s for s, _ in w.occurrences(utc(2025, 2, 25), utc(2025, 3, 20))] == [
        utc(2025, 2, 26, 3),
        utc(2025, 3, 5, 3),
        utc(2025, 3, 12, 2),
        utc(2025, 3, 19, 2),
    ]
    assert starts(w, utc(2025, 3, 10), utc(2025, 3, 14), NEW_YORK) == ["Tue 2025-03-11 22:00 EDT"]


def test_a_weekly_window_keeps_local_time_when_new_york_falls_back() -> None:
    w = window(start="2025-10-21 22:00", timezone=NEW_YORK, repeat="weekly")
    assert [s for s, _ in w.occurrences(utc(2025, 10, 21), utc(2025, 11, 13))] == [
        utc(2025, 10, 22, 2),
        utc(2025, 10, 29, 2),
        utc(2025, 11, 5, 3),
        utc(2025, 11, 12, 3),
    ]


def test_a_weekly_window_runs_on_each_of_its_days() -> None:
    w = window(
        start="2025-01-06 06:00",
        duration="30m",
        repeat={"every": "weekly", "days": ["mon", "Thursday"]},
    )
    assert starts(w, utc(2025, 1, 6), utc(2025, 1, 17)) == [
        "Mon 2025-01-06 06:00 GMT",
        "Thu 2025-01-09 06:00 GMT",
        "Mon 2025-01-13 06:00 GMT",
        "Thu 2025-01-16 06:00 GMT",
    ]


def test_a_weekly_window_never_starts_before_its_first_start() -> None:
    w = window(start="2025-01-08 06:00", repeat={"every": "weekly", "days": ["mon", "wed"]})
    assert starts(w, utc(2025, 1, 1), utc(2025, 1, 14)) == [
        "Wed 2025-01-08 06:00 GMT",
        "Mon 2025-01-13 06:00 GMT",
    ]


def test_daily_is_every_day_of_the_week() -> None:
    w = window(start="2025-03-29 23:00", duration="1h", repeat="daily")
    assert starts(w, utc(2025, 3, 29), utc(2025, 4, 1)) == [
        "Sat 2025-03-29 23:00 GMT",
        "Sun 2025-03-30 23:00 BST",
        "Mon 2025-03-31 23:00 BST",
    ]


# -- DST gaps and repeated hours ---------------------------------------------------------------


def test_a_start_in_the_spring_gap_moves_forward_by_the_gap_in_london() -> None:
    w = window(start="2025-03-23 01:30", duration="1h", repeat="weekly")
    spans = w.occurrences(utc(2025, 3, 29), utc(2025, 4, 1))
    assert spans == [(utc(2025, 3, 30, 1, 30), utc(2025, 3, 30, 2, 30))]
    assert local(spans[0][0]) == "Sun 2025-03-30 02:30 BST"


def test_a_start_in_the_spring_gap_moves_forward_by_the_gap_in_new_york() -> None:
    w = window(start="2025-03-09 02:30", timezone=NEW_YORK, duration="1h")
    assert starts(w, utc(2025, 3, 9), utc(2025, 3, 10), NEW_YORK) == ["Sun 2025-03-09 03:30 EDT"]


def test_a_start_in_the_repeated_hour_is_the_first_one() -> None:
    w = window(start="2025-10-19 01:30", duration="15m", repeat="weekly")
    assert w.occurrences(utc(2025, 10, 25), utc(2025, 10, 27)) == [
        (utc(2025, 10, 26, 0, 30), utc(2025, 10, 26, 0, 45))  # 01:30 BST, not 01:30 GMT
    ]
    nyc = window(start="2025-11-02 01:30", timezone=NEW_YORK, duration="15m")
    assert starts(nyc, utc(2025, 11, 2), utc(2025, 11, 3), NEW_YORK) == ["Sun 2025-11-02 01:30 EDT"]


def test_a_duration_is_elapsed_time_even_across_a_change() -> None:
    w = window(start="2025-03-30 00:00", duration="3h")  # 00:00 GMT + 3 h = 04:00 BST
    assert w.occurrences(utc(2025, 3, 29), utc(2025, 4, 1)) == [
        (utc(2025, 3, 30), utc(2025, 3, 30, 3))
    ]


# -- monthly -----------------------------------------------------------------------------------


def test_a_monthly_window_on_the_first_runs_every_month() -> None:
    w = window(start="2025-01-01 03:00", repeat={"every": "monthly", "day": 1})
    got = starts(w, utc(2025, 1, 1), utc(2026, 1, 1))
    assert len(got) == 12
    assert got[3] == "Tue 2025-04-01 03:00 BST"


def test_a_monthly_window_on_the_31st_falls_on_the_last_day_of_short_months() -> None:
    w = window(start="2024-01-31 23:00", duration="1h", repeat="monthly")
    got = [g[4:14] for g in starts(w, utc(2024, 1, 1), utc(2024, 7, 1))]
    assert got == [
        "2024-01-31",
        "2024-02-29",
        "2024-03-31",
        "2024-04-30",
        "2024-05-31",
        "2024-06-30",
    ]
    w25 = window(start="2025-01-15 23:00", duration="1h", repeat={"every": "monthly", "day": 31})
    assert starts(w25, utc(2025, 2, 1), utc(2025, 3, 1)) == ["Fri 2025-02-28 23:00 GMT"]


def test_a_patch_tuesday_window_runs_on_the_second_tuesday() -> None:
    w = window(start="2025-01-01 22:00", repeat={"every": "monthly", "day": "second tuesday"})
    got = [g[4:14] for g in starts(w, utc(2025, 1, 1), utc(2026, 1, 1))]
    assert got == [
        "2025-01-14",
        "2025-02-11",
        "2025-03-11",
        "2025-04-08",
        "2025-05-13",
        "2025-06-10",
        "2025-07-08",
        "2025-08-12",
        "2025-09-09",
        "2025-10-14",
        "2025-11-11",
        "2025-12-09",
    ]


def test_a_last_friday_window_runs_on_the_last_friday() -> None:
    w = window(start="2025-01-01 20:00", repeat={"every": "monthly", "day": "Last Fri"})
    assert w.repeat is not None and w.repeat.model_dump() == {
        "every": "monthly",
        "day": "last friday",
    }
    got = [g[4:14] for g in starts(w, utc(2025, 1, 1), utc(2025, 6, 1))]
    assert got == ["2025-01-31", "2025-02-28", "2025-03-28", "2025-04-25", "2025-05-30"]


# -- cron --------------------------------------------------------------------------------------


def test_a_cron_window_runs_at_local_cron_times_across_dst() -> None:
    w = window(repeat={"cron": "0 22 * * 2"})
    assert starts(w, utc(2025, 3, 20), utc(2025, 4, 5)) == [
        "Tue 2025-03-25 22:00 GMT",
        "Tue 2025-04-01 22:00 BST",
    ]


def test_a_cron_window_never_starts_before_its_start() -> None:
    w = window(start="2025-03-26 00:00", repeat={"cron": "0 22 * * 2"})
    assert starts(w, utc(2025, 3, 20), utc(2025, 4, 5)) == ["Tue 2025-04-01 22:00 BST"]


def test_a_cron_start_in_the_gap_follows_the_same_rule_as_every_window() -> None:
    w = window(timezone=NEW_YORK, duration="1h", repeat={"cron": "30 2 * * *"})
    assert starts(w, utc(2025, 3, 8, 12), utc(2025, 3, 10, 12), NEW_YORK) == [
        "Sun 2025-03-09 03:30 EDT",
        "Mon 2025-03-10 02:30 EDT",
    ]


def test_cron_on_the_31st_skips_short_months() -> None:
    w = window(repeat={"cron": "0 22 31 * *"})
    got = [g[4:14] for g in starts(w, utc(2025, 1, 1), utc(2025, 6, 1))]
    assert got == ["2025-01-31", "2025-03-31", "2025-05-31"]


def test_a_frequent_cron_with_a_long_duration_merges_into_one_span() -> None:
    w = window(timezone="UTC", duration="90m", repeat={"cron": "0 * * * *"}, until="2025-01-01")
    spans = w.occurrences(utc(2025, 1, 1, 5), utc(2025, 1, 1, 8))
    assert spans == [(utc(2025, 1, 1, 4), utc(2025, 1, 1, 8, 30))]
    assert w.next_change(utc(2025, 1, 1, 12)) == utc(2025, 1, 2, 0, 30)  # the last, 23:00 + 90m


# -- until, next_start, next_change ------------------------------------------------------------


def test_until_is_the_last_date_an_occurrence_may_start_on() -> None:
    w = window(start="2025-01-07 23:00", duration="3h", repeat="weekly", until="2025-01-21")
    assert starts(w, utc(2025, 1, 1), utc(2025, 3, 1)) == [
        "Tue 2025-01-07 23:00 GMT",
        "Tue 2025-01-14 23:00 GMT",
        "Tue 2025-01-21 23:00 GMT",
    ]
    assert w.active_at(utc(2025, 1, 22, 1))  # the last one runs its full duration
    assert w.next_start(utc(2025, 1, 21, 23)) is None


def test_next_start_is_strictly_after_and_next_change_alternates() -> None:
    w = window(start="2025-01-07 22:00", repeat="weekly")
    assert w.next_start(utc(2025, 1, 7, 22)) == utc(2025, 1, 14, 22)
    assert w.next_change(utc(2025, 1, 7, 22, 30)) == utc(2025, 1, 8)  # active: its end
    assert w.next_change(utc(2025, 1, 8)) == utc(2025, 1, 14, 22)  # inactive: the next start
    assert w.next_start(utc(2024, 1, 1)) == utc(2025, 1, 7, 22)


def test_overlapping_days_make_one_span_and_one_change() -> None:
    w = window(
        start="2025-01-06 12:00", duration="30h", repeat={"every": "weekly", "days": ["mon", "tue"]}
    )
    assert w.occurrences(utc(2025, 1, 6), utc(2025, 1, 9)) == [
        (utc(2025, 1, 6, 12), utc(2025, 1, 8, 18))
    ]
    assert w.next_change(utc(2025, 1, 6, 13)) == utc(2025, 1, 8, 18)


# -- scope -------------------------------------------------------------------------------------


def test_an_empty_scope_covers_everything_of_its_client_only() -> None:
    w = window(start="2025-01-01 00:00", client="acme")
    assert matches(w, "acme", "hq", "nvr", ())
    assert not matches(w, "globex", "hq", "nvr", ())


def test_a_window_without_a_client_and_scope_covers_every_client() -> None:
    assert matches(window(start="2025-01-01 00:00"), "globex", None, None, ())


@pytest.mark.parametrize(
    ("scope", "hit", "miss"),
    [
        ({"clients": ["acme"]}, ("acme", "hq", "tv", ()), ("globex", "hq", "tv", ())),
        ({"sites": ["acme/hq"]}, ("acme", "hq", "tv", ()), ("acme", "annex", "tv", ())),
        ({"sites": ["hq"]}, ("acme", "hq", None, ()), ("acme", "annex", None, ())),
        (
            {"devices": ["acme/core-switch"]},
            ("acme", "hq", "core-switch", ()),
            ("globex", "hq", "core-switch", ()),
        ),
        (
            {"devices": ["core-switch"]},
            ("globex", "hq", "core-switch", ()),
            ("acme", "hq", "router", ()),
        ),
        (
            {"services": ["cameras"]},
            ("acme", "hq", "nvr", ("calls", "cameras")),
            ("acme", "hq", "nvr", ("calls",)),
        ),
    ],
)
def test_a_scope_matches_any_of_its_entries(
    scope: dict[str, list[str]], hit: tuple[Any, ...], miss: tuple[Any, ...]
) -> None:
    w = window(start="2025-01-01 00:00", scope=scope)
    assert matches(w, *hit)
    assert not matches(w, *miss)


def test_a_clients_window_ignores_other_clients_even_for_bare_names() -> None:
    w = window(start="2025-01-01 00:00", client="acme", scope={"devices": ["core-switch"]})
    assert w.matches("acme", device="core-switch")
    assert not w.matches("globex", device="core-switch")


def test_parse_windows_sets_the_client_of_a_clients_windows() -> None:
    [w] = parse_windows(
        [
            {
                "id": "fw",
                "name": "Firmware",
                "start": "2025-01-01 02:00",
                "duration": "1h",
                "timezone": LONDON,
            }
        ],
        client="acme",
    )
    assert w.client == "acme"


# -- validation: every message names the field and the fix -------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"timezone": "Europe/Londn"}, "timezone", "IANA name like Europe/London"),
        ({"repeat": {"every": "weekly", "days": ["mon", "frid"]}}, "days", "use mon, tue"),
        ({"duration": "0s"}, "duration", "more than zero"),
        ({"duration": "2 hours"}, "duration", "not a duration"),
        ({"start": None}, "start", "required unless the window repeats by cron"),
        ({"start": "2025-01-14T22:00:00+01:00"}, "start", "without one"),
        ({"repeat": "fortnightly"}, "repeat", "{every: weekly, days: [mon, thu]}"),
        ({"repeat": {"every": "yearly"}}, "repeat", "{every: monthly, day: second tuesday}"),
        ({"repeat": {"cron": "0 25 * * *"}}, "cron", "Bad hour"),
        ({"repeat": {"cron": "0 22 * *"}}, "cron", "five fields"),
        ({"repeat": {"every": "monthly", "day": 32}}, "day", "use 1..31"),
        (
            {"repeat": {"every": "monthly", "day": "fifth monday"}},
            "day",
            "first, second, third, fourth or last",
        ),
        ({"repeat": {"every": "monthly", "day": "second"}}, "day", "'second tuesday'"),
        (
            {"repeat": {"every": "monthly", True: "last friday"}},
            "repeat",
            "write the weekday as `day:`",
        ),
        ({"repeat": "weekly", "until": "2025-01-01"}, "until", "before the start"),
        ({"until": "2025-12-31"}, "until", "only a repeating window"),
        ({"client": "acme", "scope": {"sites": ["globex/hq"]}}, "globex/hq", "another client"),
        ({"scope": {"sites": ["Head Office"]}}, "sites", "write `name` or `client/name`"),
        ({"colour": "red"}, "colour", "Extra inputs"),
        ({"id": "Patch Tuesday"}, "id", "is not a valid id; use lower-case letters"),
    ],
)
def test_invalid_windows_are_refused_with_a_clear_message(
    change: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as info:
        window(**({"start": "2025-01-14 22:00"} | change))
    assert field in str(info.value)
    assert words in str(info.value)


def test_a_window_needs_its_time_zone_spelled_out() -> None:
    with pytest.raises(ValidationError, match=r"timezone\n  Field required"):
        MaintenanceWindow.model_validate(
            {"id": "w", "name": "W", "start": "2025-01-01 02:00", "duration": "1h"}
        )


def test_a_window_round_trips_through_json() -> None:
    w = window(
        start="2025-01-06 22:00",
        repeat={"every": "weekly", "days": ["tue", "mon"]},
        scope={"services": ["calls"]},
    )
    data = w.model_dump(mode="json", exclude_defaults=True)
    assert (
        data["repeat"] == {"every": "weekly", "days": ["mon", "tue"]} and data["duration"] == "2h"
    )
    assert MaintenanceWindow.model_validate(data) == w


# -- the examples in docs/maintenance.md -------------------------------------------------------

DOC = Path(__file__).parents[2] / "docs" / "maintenance.md"


def test_every_example_in_the_docs_is_valid() -> None:
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)]
    found = {"windows": 0, "presence": 0, "lines": 0}
    for block in blocks:
        if "clients" in block:
            found["windows"] += len(
                parse_windows(block["clients"][0]["maintenance"], client="acme")
            )
        elif "maintenance" in block:
            found["windows"] += len(parse_windows(block["maintenance"], client="acme"))
        elif "devices" in block:
            found["presence"] += len([parse_presence(d["presence"]) for d in block["devices"]])
    for line in re.findall(r"^(repeat|scope): (.*?)(?:\s+#.*)?$", DOC.read_text(), re.M):
        window(start="2025-01-14 22:00", client="acme", **yaml.safe_load(": ".join(line)))
        found["lines"] += 1
    assert found == {"windows": 6, "presence": 5, "lines": 12}


# -- the silence stage -------------------------------------------------------------------------


PATCH = window(
    id="patch",
    name="Patch Tuesday",
    client="acme",
    start="2025-01-14 22:00",
    repeat="weekly",
    scope={"sites": ["hq"]},
)
FIRMWARE = window(
    id="fw",
    name="Firmware night",
    client="acme",
    start="2025-01-14 21:00",
    duration="4h",
    repeat="weekly",
)


def test_silence_records_which_window_silenced_an_alert_and_until_when() -> None:
    alerts = [
        Target("acme", "hq", "nvr"),
        Target("acme", "annex", "tv"),
        Target("globex", "hq", "nvr"),
    ]
    kept, silenced = silence(alerts, [PATCH], utc(2025, 1, 21, 22, 30))
    assert kept == alerts[1:]
    assert silenced == [Silenced(alerts[0], "patch", "Patch Tuesday", utc(2025, 1, 22))]
    assert silenced[0].reason == "suppressed by maintenance window 'Patch Tuesday' (patch)"


def test_silence_keeps_everything_outside_a_window() -> None:
    alerts = [Target("acme", "hq", "nvr")]
    assert silence(alerts, [PATCH, FIRMWARE], utc(2025, 1, 21, 20)) == (alerts, [])
    assert silence(alerts, [PATCH, FIRMWARE], utc(2025, 1, 22, 1)) == (alerts, [])


def test_silence_names_the_first_matching_active_window() -> None:
    alert = Target("acme", "hq", "nvr")
    _, [first] = silence([alert], [PATCH, FIRMWARE], utc(2025, 1, 21, 22, 30))
    _, [other] = silence([alert], [FIRMWARE, PATCH], utc(2025, 1, 21, 22, 30))
    assert (first.window_id, other.window_id, other.until) == ("patch", "fw", utc(2025, 1, 22, 1))


@dataclass(frozen=True)
class Alert:
    """The pipeline's own alert type: anything with client/site/device/services will do."""

    incident: int
    client: str
    site: str | None
    device: str | None
    services: frozenset[str] = field(default_factory=frozenset)


def test_silence_takes_any_alert_with_a_target_shape_and_matches_services() -> None:
    w = window(
        id="cams",
        name="Camera upgrade",
        client="acme",
        start="2025-01-14 22:00",
        scope={"services": ["cameras"]},
    )
    alerts = [
        Alert(1, "acme", "hq", "nvr", frozenset({"cameras"})),
        Alert(2, "acme", "hq", "codec", frozenset({"calls"})),
    ]
    kept, silenced = silence(alerts, [w], utc(2025, 1, 14, 23))
    assert [a.incident for a in kept] == [2]
    assert [(s.alert.incident, s.window_name) for s in silenced] == [(1, "Camera upgrade")]


# -- properties --------------------------------------------------------------------------------

REPEATS: list[Any] = [
    None,
    "weekly",
    "daily",
    {"every": "weekly", "days": ["mon", "fri"]},
    "monthly",
    {"every": "monthly", "day": 31},
    {"every": "monthly", "day": "last sunday"},
    {"cron": "30 1 * * *"},
    {"cron": "*/20 * * * *"},
]
ZONES = [LONDON, NEW_YORK, "UTC", "Australia/Lord_Howe", "Pacific/Apia"]
T0 = utc(2024, 1, 1)


@st.composite
def windows(draw: st.DrawFn) -> MaintenanceWindow:
    start = datetime(2024, 1, 1) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 400)))
    return window(
        start=start,
        duration=draw(st.sampled_from(["5m", "30m", "1h", "2h", "25h", "9d"])),
        timezone=draw(st.sampled_from(ZONES)),
        repeat=draw(st.sampled_from(REPEATS)),
    )


@settings(max_examples=150, deadline=None)
@given(
    w=windows(),
    a=st.floats(0, 500 * 86400),
    length=st.floats(1, 20 * 86400),
    probes=st.lists(st.floats(0, 1), min_size=1, max_size=8),
)
def test_occurrences_are_sorted_disjoint_and_agree_with_active_at(
    w: MaintenanceWindow, a: float, length: float, probes: list[float]
) -> None:
    lo, hi = T0 + a, T0 + a + length
    spans = w.occurrences(lo, hi)
    for (s1, e1), (s2, _) in pairwise(spans):
        assert s1 < e1 < s2
    assert all(s < hi and e > lo for s, e in spans)
    for p in probes:
        t = lo + p * (hi - lo - 1e-3)
        assert w.active_at(t) == any(s <= t < e for s, e in spans)


@settings(max_examples=100, deadline=None)
@given(w=windows(), a=st.floats(0, 500 * 86400))
def test_next_start_is_later_and_starts_an_active_span(w: MaintenanceWindow, a: float) -> None:
    after = T0 + a
    nxt = w.next_start(after)
    if nxt is None:
        assert w.repeat is None
        return
    assert nxt > after
    assert w.active_at(nxt)
    assert w.starts_between(after + 1e-3, nxt - 1e-3) == []
