"""Presence schedules as timelines: is a device expected to answer, and when does that flip?"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from sitekeeper.incidents.schedule import (
    ALWAYS,
    SLEEPY,
    PresenceError,
    PresenceField,
    parse_presence,
    presence_status,
)
from sitekeeper.state.model import DeviceStatus

LONDON, NEW_YORK = "Europe/London", "America/New_York"
UP, DOWN, ASLEEP = DeviceStatus.UP, DeviceStatus.DOWN, DeviceStatus.ASLEEP


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=UTC).timestamp()


def local(ts: float, tz: str = LONDON) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%a %H:%M %Z")


def changes(text: str, start: float, n: int, tz: str = LONDON) -> list[str]:
    """The next n flips from `start`, as local times with what the device becomes."""
    presence, t, out = parse_presence(text), start, []
    for _ in range(n):
        t = presence.next_change(t, tz)
        out.append(f"{local(t, tz)} {'in' if presence.expected_at(t, tz) else 'out'}")
    return out


# -- always and sleepy -------------------------------------------------------------------------


def test_always_is_expected_forever_and_sleepy_never() -> None:
    now = utc(2025, 1, 1)
    assert parse_presence(" Always ") is ALWAYS and parse_presence("sleepy") is SLEEPY
    assert ALWAYS.expected_at(now, LONDON) and not SLEEPY.expected_at(now, LONDON)
    assert ALWAYS.next_change(now, LONDON) == SLEEPY.next_change(now, LONDON) == math.inf


def test_a_sleepy_tv_that_drops_off_is_asleep_not_down() -> None:
    assert presence_status(DOWN, SLEEPY, utc(2025, 1, 1, 12), LONDON) is ASLEEP
    assert presence_status(UP, SLEEPY, utc(2025, 1, 1, 12), LONDON) is UP
    assert presence_status(DOWN, ALWAYS, utc(2025, 1, 1, 12), LONDON) is DOWN


# -- business hours ----------------------------------------------------------------------------


def test_a_projector_is_expected_only_during_business_hours() -> None:
    p = parse_presence("mon-fri 08:00-18:00")
    assert not p.expected_at(utc(2025, 1, 8, 7, 59), LONDON)  # Wednesday, GMT
    assert p.expected_at(utc(2025, 1, 8, 8), LONDON)
    assert p.expected_at(utc(2025, 1, 8, 17, 59), LONDON)
    assert not p.expected_at(utc(2025, 1, 8, 18), LONDON)
    assert not p.expected_at(utc(2025, 1, 11, 12), LONDON)  # Saturday


def test_a_projector_down_after_hours_sleeps_and_fails_again_next_morning() -> None:
    p = parse_presence("mon-fri 08:00-18:00")
    timeline = [
        (utc(2025, 1, 8, h), presence_status(DOWN, p, utc(2025, 1, 8, h), LONDON))
        for h in (17, 18, 23)
    ]
    timeline.append((utc(2025, 1, 9, 8), presence_status(DOWN, p, utc(2025, 1, 9, 8), LONDON)))
    assert [status for _, status in timeline] == [DOWN, ASLEEP, ASLEEP, DOWN]
    assert p.next_change(utc(2025, 1, 8, 23), LONDON) == utc(2025, 1, 9, 8)  # wake the correlator


def test_several_spans_flip_in_order_across_the_spring_change() -> None:
    got = changes("mon-fri 07:30-19:00, sat 09:00-13:00", utc(2025, 3, 28, 12), 6)
    assert got == [
        "Fri 19:00 GMT out", "Sat 09:00 GMT in", "Sat 13:00 GMT out",
        "Mon 07:30 BST in", "Mon 19:00 BST out", "Tue 07:30 BST in",
    ]  # fmt: skip


def test_daily_hours_keep_local_time_when_new_york_changes_both_ways() -> None:
    assert changes("daily 06:00-23:00", utc(2025, 3, 8, 12), 4, NEW_YORK) == [
        "Sat 23:00 EST out",
        "Sun 06:00 EDT in",
        "Sun 23:00 EDT out",
        "Mon 06:00 EDT in",
    ]
    assert changes("daily 06:00-23:00", utc(2025, 11, 1, 12), 3, NEW_YORK) == [
        "Sat 23:00 EDT out",
        "Sun 06:00 EST in",
        "Sun 23:00 EST out",
    ]


def test_day_groups_ranges_and_names() -> None:
    assert parse_presence("sat sun 10:00-16:00").expected_at(utc(2025, 1, 12, 11), LONDON)
    assert parse_presence("sat, sun 10:00-16:00").expected_at(utc(2025, 1, 11, 11), LONDON)
    assert parse_presence("weekends 10:00-16:00").expected_at(utc(2025, 1, 11, 11), LONDON)
    assert not parse_presence("weekdays 10:00-16:00").expected_at(utc(2025, 1, 11, 11), LONDON)
    fri_mon = parse_presence("Friday-Monday 10:00-16:00")  # wraps over the weekend
    assert [fri_mon.expected_at(utc(2025, 1, d, 11), LONDON) for d in range(6, 13)] == [
        True,
        False,
        False,
        False,
        True,
        True,
        True,
    ]


def test_the_text_is_kept_in_one_canonical_form() -> None:
    assert (
        str(parse_presence("Mon - Fri  07:30-19:00 ,sat 09:00 - 13:00"))
        == "mon-fri 07:30-19:00, sat 09:00-13:00"
    )


# -- overnight ---------------------------------------------------------------------------------


def test_an_overnight_span_runs_from_its_day_into_the_next_morning() -> None:
    p = parse_presence("fri 18:00-02:00")
    assert [p.expected_at(utc(2025, 1, d, h, m), LONDON) for d, h, m in [
        (9, 23, 0), (10, 17, 59), (10, 18, 0), (10, 23, 0), (11, 1, 59), (11, 2, 0), (11, 18, 0)
    ]] == [False, False, True, True, True, False, False]  # fmt: skip
    assert changes("fri 18:00-02:00", utc(2025, 1, 10, 12), 3) == [
        "Fri 18:00 GMT in",
        "Sat 02:00 GMT out",
        "Fri 18:00 GMT in",
    ]


def test_an_overnight_span_on_sunday_ends_on_monday_morning() -> None:
    p = parse_presence("sun 22:00-06:00")
    assert p.expected_at(utc(2025, 1, 13, 5), LONDON)
    assert not p.expected_at(utc(2025, 1, 14, 5), LONDON)


def test_an_overnight_span_to_midnight_is_the_same_as_24_00() -> None:
    a, b = parse_presence("daily 18:00-00:00"), parse_presence("daily 18:00-24:00")
    assert a.intervals(utc(2025, 1, 1), utc(2025, 1, 9), LONDON) == b.intervals(
        utc(2025, 1, 1), utc(2025, 1, 9), LONDON
    )


# -- DST days ----------------------------------------------------------------------------------


def test_a_span_starting_in_the_spring_gap_starts_an_hour_later_by_the_clock() -> None:
    p = parse_presence("daily 01:30-04:00")  # 01:30 does not exist on 30 March in London
    assert p.next_change(utc(2025, 3, 30, 0), LONDON) == utc(2025, 3, 30, 1, 30)  # 02:30 BST
    assert not p.expected_at(utc(2025, 3, 30, 1, 15), LONDON)  # 02:15 BST
    assert p.next_change(utc(2025, 3, 30, 2), LONDON) == utc(2025, 3, 30, 3)  # 04:00 BST


def test_a_span_ending_in_the_repeated_hour_ends_at_the_first_one() -> None:
    p = parse_presence("daily 00:00-01:30")  # 01:30 happens twice on 26 October in London
    assert p.next_change(utc(2025, 10, 25, 23, 30), LONDON) == utc(2025, 10, 26, 0, 30)  # 01:30 BST
    assert not p.expected_at(utc(2025, 10, 26, 1, 15), LONDON)  # 01:15 GMT, the second time round


def test_a_span_holding_the_change_lasts_an_hour_more_or_less() -> None:
    p = parse_presence("sun 00:00-06:00")
    spring = p.intervals(utc(2025, 3, 30, 3), utc(2025, 3, 30, 3), LONDON)
    autumn = p.intervals(utc(2025, 10, 26, 3), utc(2025, 10, 26, 3), LONDON)
    assert [e - s for s, e in spring + autumn] == [5 * 3600, 7 * 3600]


# -- never changing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "daily 00:00-24:00",
        "daily 00:00-12:00, daily 12:00-24:00",
        "mon-sun 06:00-24:00, daily 23:00-06:00",
    ],
)
def test_a_schedule_covering_all_week_never_changes(text: str) -> None:
    p = parse_presence(text)
    for t in (utc(2025, 3, 30, 0, 30), utc(2025, 10, 26, 1, 30), utc(2025, 6, 1)):
        assert p.expected_at(t, LONDON)
        assert p.next_change(t, LONDON) == math.inf


def test_touching_spans_are_one_stretch() -> None:
    p = parse_presence("mon 08:00-12:00, mon 12:00-18:00")
    assert p.next_change(utc(2025, 1, 6, 9), LONDON) == utc(2025, 1, 6, 18)


def test_a_time_zone_may_be_a_name_or_a_zoneinfo() -> None:
    p = parse_presence("mon-fri 08:00-18:00")
    assert p.expected_at(utc(2025, 7, 1, 7, 30), ZoneInfo(LONDON)) == p.expected_at(
        utc(2025, 7, 1, 7, 30), LONDON
    )
    with pytest.raises(ValueError, match="IANA name"):
        p.expected_at(utc(2025, 7, 1), "Mars/Olympus")


# -- invalid text: every message says what is wrong and shows how ------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "presence is empty"),
        ("mon-fri", "days without hours"),
        ("08:00-18:00", "needs days before it"),
        ("mon-fry 08:00-18:00", "use mon, tue, wed"),
        ("mon-fri 8am-6pm", "not a day or a time span"),
        ("mon 09:00-08:00", "ends before it starts; write the earlier time first (08:00-09:00)"),
        ("mon 17:00-13:00", "must start at 12:00 or later and end by 12:00"),
        ("mon 08:00-08:00", "is empty; for the whole day write 00:00-24:00"),
        ("mon 25:00-26:00", "not a time; use HH:MM"),
        ("mon 08:60-09:00", "not a time"),
        ("mon 08:00", "is one time"),
        ("mon 24:00-02:00", "cannot start at 24:00"),
    ],
)
def test_invalid_presence_is_refused_with_a_clear_message(text: str, words: str) -> None:
    with pytest.raises(PresenceError) as info:
        parse_presence(text)
    assert words in str(info.value)
    if text:
        assert repr(text) in str(info.value)  # the message quotes what was written


class Device(BaseModel):
    presence: PresenceField = ALWAYS


def test_presence_is_a_text_field_in_models() -> None:
    d = Device.model_validate({"presence": "mon-fri 08:00-18:00"})
    assert d.presence.mode == "schedule"
    assert d.model_dump(mode="json") == {"presence": "mon-fri 08:00-18:00"}
    assert (
        Device().presence is ALWAYS and Device.model_validate({"presence": None}).presence is ALWAYS
    )
    with pytest.raises(ValidationError, match=r"presence\n.*'tv' in 'tv' is not a day"):
        Device.model_validate({"presence": "tv"})


# -- properties --------------------------------------------------------------------------------

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
span_text = st.builds(
    lambda days, a, b: f"{' '.join(days)} {a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}",
    st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True),
    st.integers(0, 95).map(lambda q: q * 15),
    st.integers(1, 96).map(lambda q: q * 15),
)


@settings(max_examples=150, deadline=None)
@given(
    spans=st.lists(span_text, min_size=1, max_size=3),
    tz=st.sampled_from([LONDON, NEW_YORK, "UTC", "Australia/Lord_Howe"]),
    at=st.floats(0, 2 * 365 * 86400),
    probes=st.lists(st.floats(0, 1, exclude_max=True), max_size=5),
)
def test_expected_at_holds_until_next_change_and_then_flips(
    spans: list[str], tz: str, at: float, probes: list[float]
) -> None:
    try:
        p = parse_presence(", ".join(spans))
    except PresenceError:
        assume(False)
        raise
    now = utc(2024, 1, 1) + at
    state, change = p.expected_at(now, tz), p.next_change(now, tz)
    assert change > now
    if change == math.inf:
        assert state
        return
    assert change - now <= 8 * 86400
    assert p.expected_at(change, tz) != state
    for f in probes:
        assert p.expected_at(now + f * (change - now - 1e-3), tz) == state
