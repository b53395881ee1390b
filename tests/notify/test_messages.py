"""Message texts from payloads: the title says it all in one line."""

from __future__ import annotations

import pytest

from sitekeeper.notify.messages import duration, render

from .conftest import incident_payload


def test_an_opened_incident_names_the_root_cause_and_the_impact() -> None:
    message = render("opened", incident_payload("opened"), "k1")
    assert message.title == (
        "DOWN: core switch at Harbour View Dental — 23 devices unreachable; "
        "impacted: Perimeter cameras, Boardroom video calls"
    )
    assert "core switch (switch) is down at Main office, Harbour View Dental" in message.text
    assert "and 3 more" in message.text  # long lists are cut
    assert "**Impacted services:**" in message.markdown
    assert "**" not in message.text
    assert message.idempotency_key == "k1"


def test_a_resolved_incident_says_how_long_it_lasted() -> None:
    message = render("resolved", incident_payload("resolved"), "k")
    assert message.title == "RESOLVED: core switch at Harbour View Dental after 12 min"


def test_an_escalation_says_how_long_nobody_acknowledged() -> None:
    payload = {**incident_payload(), "event": "escalated", "escalation": {"after_s": 900}}
    assert render("escalated", payload, "k").title == (
        "ESCALATED: core switch at Harbour View Dental — not acknowledged after 15 min"
    )


def test_a_digest_lists_every_folded_incident() -> None:
    items = [
        {"key": "incident:12:opened", **incident_payload("opened")},
        {"key": "incident:12:resolved", **incident_payload("resolved")},
    ]
    payload = {
        "event": "digest",
        "client": "Harbour View Dental",
        "window_start": 0,
        "window_end": 600,
        "items": items,
    }
    message = render("digest", payload, "k")
    assert message.title == "DIGEST: 2 more notifications for Harbour View Dental in 10 min"
    assert "- DOWN: core switch" in message.text
    assert "- RESOLVED: core switch at Harbour View Dental after 12 min" in message.text


def test_a_payload_with_little_in_it_still_renders() -> None:
    assert render("opened", {"event": "opened"}, "k").title == "DOWN: a device at a client"
    one = {
        "incident": {"root": {"name": "nvr"}, "client": {"name": "Acme"}, "unreachable": ["cam"]}
    }
    assert render("opened", one, "k").title == "DOWN: nvr at Acme — 1 device unreachable"


def test_markdown_from_names_cannot_change_the_formatting() -> None:
    payload = incident_payload()
    payload["incident"]["root"]["name"] = "*cam_1* <b>"
    message = render("opened", payload, "k")
    assert r"\*cam\_1\* &lt;b&gt;" in message.markdown
    assert "*cam_1* <b>" in message.text
    assert "http://127.0.0.1:8470/incidents/12" in message.markdown  # links stay usable


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown message kind"):
        render("exploded", {}, "k")


@pytest.mark.parametrize(
    ("seconds", "text"), [(5, "5 s"), (720, "12 min"), (3 * 3600, "3.0 h"), (3 * 86400, "3.0 days")]
)
def test_durations_read_naturally(seconds: float, text: str) -> None:
    assert duration(seconds) == text
