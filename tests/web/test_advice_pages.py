"""The advisor's page over HTTP (no browser), on SQLite and PostgreSQL: the verdicts of the two
demo clients, tenant scoping, bad query values, the charts with their captions, and the
colours of the charts against the page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sitekeeper.advisor.report import DEFAULT_SEED, advise
from sitekeeper.advisor.settings import Overrides
from sitekeeper.auth.principal import Role
from sitekeeper.db import models as m
from sitekeeper.lab.setup import install_advisor_demo
from sitekeeper.web import advice_history_svg, advice_svg, svgplot
from sitekeeper.web.advice import ADVICE_TRIALS
from tests.web.conftest import sign_in
from tests.web.test_contrast import COLOURS, contrast
from tests.web.world import World, create_users

KINDS = ("histogram", "components", "delta", "tornado", "incidents", "disruption")


@pytest.fixture
def demo(world: World) -> World:
    """The small world plus the advisor's demo clients (home, office), and dave, a
    technician assigned to the office only."""
    with world.store.session() as session:
        install_advisor_demo(session, world.clock.now())
        session.commit()
    create_users(world.store, world.clock.now(), (("dave", Role.TECHNICIAN, None, ("office",)),))
    return world


def report(world: World, key: str, **overrides: Any) -> dict[str, Any]:
    with world.store.session() as session:
        return advise(
            session,
            key,
            Overrides(**overrides),
            ADVICE_TRIALS,
            DEFAULT_SEED,
            world.clock.now(),
            with_tornado=True,
        )


def figures(html: str) -> dict[str, str]:
    """Each chart's figure markup by its data-plot kind."""
    found = re.findall(r'<figure class="advice-chart" data-plot="(\w+)">(.*?)</figure>', html, re.S)
    return dict(found)


def caption(figure: str) -> str:
    match = re.search(r"<figcaption>(.*?)</figcaption>", figure, re.S)
    assert match, figure[:200]
    return match.group(1)


def test_the_office_has_outgrown_break_fix_and_the_page_says_managed(
    web: TestClient, demo: World
) -> None:
    sign_in(web, demo.email("alice"))
    r = web.get("/clients/office/advice")
    assert r.status_code == 200, r.text
    assert 'data-verdict="managed"' in r.text
    assert 'data-switch="outgrown break-fix"' in r.text
    doc = report(demo, "office")
    assert f"{doc['delta']['mean']:,.0f}/yr" in r.text.replace("&#39;", "'")  # the headline
    assert r.headers["cache-control"] == "no-store"


def test_the_home_is_still_fine_on_break_fix(web: TestClient, demo: World) -> None:
    sign_in(web, demo.email("alice"))
    r = web.get("/clients/home/advice")
    assert r.status_code == 200
    assert 'data-verdict="break-fix"' in r.text
    assert 'data-switch="break-fix still fits"' in r.text


def test_every_chart_is_an_accessible_svg_with_its_figures_in_words(
    web: TestClient, demo: World
) -> None:
    sign_in(web, demo.email("alice"))
    html = web.get("/clients/office/advice").text
    found = figures(html)
    assert sorted(found) == sorted(KINDS)
    for kind, fig in found.items():
        svg = fig[fig.index("<svg") : fig.index("</svg>") + 6]
        root = ET.fromstring(svg)  # well-formed, so every value was escaped
        ns = "{http://www.w3.org/2000/svg}"
        assert root.get("role") == "img"
        title, desc = root.find(f"{ns}title"), root.find(f"{ns}desc")
        assert title is not None and title.text, kind
        assert desc is not None and desc.text, kind
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert "style=" not in svg  # the CSP forbids inline styles
        assert len(caption(fig)) > 60, kind
    doc = report(demo, "office")
    bf, ms = doc["break_fix"], doc["managed"]
    hist = caption(found["histogram"])
    for value in (bf["p50"], bf["p90"], bf["p99"], ms["p50"], ms["p90"], ms["p99"]):
        assert svgplot.amount(value) in hist
    comps = caption(found["components"])
    assert f"downtime {svgplot.amount(bf['components']['downtime'])}" in comps
    assert f"fee {svgplot.amount(ms['components']['fee'])}" in comps
    assert "Managed saves at every downtime cost, even 0" in caption(found["delta"])
    assert f"{sum(doc['history']['monthly_counts'])} incidents" in caption(found["incidents"])
    assert "above the red line (1 %)" in caption(found["disruption"])
    top = doc["tornado"][0]
    label = top["label"][:1].upper() + top["label"][1:]
    assert f"{label} from " in caption(found["tornado"])
    assert f"swing {svgplot.amount(top['swing'])}" in caption(found["tornado"])


def test_the_office_page_shows_drivers_hybrid_and_three_years(web: TestClient, demo: World) -> None:
    sign_in(web, demo.email("alice"))
    html = web.get("/clients/office/advice").text.replace("&#39;", "'")
    doc = report(demo, "office")
    assert doc["drivers"] and doc["hybrid"] and doc["three_year"]
    for d in doc["drivers"][:5]:
        assert f"{d['amount']:+,.0f}</span> {d['text']}" in html
    assert "A hybrid plan" in html
    assert f"{doc['hybrid']['annual_fee']:,.0f} a year in fees" in html
    years = doc["three_year"]
    assert "Over a three-year contract" in html
    assert f"{years['delta_total']:,.0f} ±{years['delta_se']:,.0f}" in html


def test_the_home_chart_marks_its_break_even(web: TestClient, demo: World) -> None:
    sign_in(web, demo.email("alice"))
    html = web.get("/clients/home/advice").text
    doc = report(demo, "home")
    be = doc["break_even"]["downtime_cost_per_hour"]
    assert be is not None
    delta = figures(html)["delta"]
    assert f"The two cost the same at {svgplot.amount(be)}/h." in caption(delta)
    assert f"break-even {svgplot.amount(be)}/h" in delta  # the label on the line
    assert "break-fix saves" in caption(delta)


@pytest.mark.parametrize(
    ("persona", "client", "status"),
    [
        ("alice", "office", 200),
        ("alice", "home", 200),
        ("dave", "office", 200),
        ("dave", "home", 404),  # another client of the same MSP, not assigned to him
        ("bob", "office", 404),
        ("carol", "office", 404),  # a client user sees only their own client
        ("alice", "nobody", 404),
    ],
)
def test_only_clients_in_scope_have_an_advice_page(
    web: TestClient, demo: World, persona: str, client: str, status: int
) -> None:
    sign_in(web, demo.email(persona))
    r = web.get(f"/clients/{client}/advice")
    assert r.status_code == status
    if status == 404:
        assert "Not found" in r.text
        assert "data-verdict" not in r.text
        assert "Harbour Dental" not in r.text and "Ashcroft" not in r.text


def test_without_a_session_the_page_asks_to_sign_in_first(web: TestClient, demo: World) -> None:
    r = web.get("/clients/office/advice?cost=500", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/clients/office/advice%3Fcost%3D500"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("cost=abc", "Downtime cost per hour: &#39;abc&#39; is not a number from 0 to"),
        ("cost=-5", "Downtime cost per hour: &#39;-5&#39; is not a number from 0 to"),
        ("cost=nan", "Downtime cost per hour: &#39;nan&#39; is not a number"),
        ("tolerance=inf", "Outage tolerance: &#39;inf&#39; is not a number from 0 to 8,760"),
        ("hours=weekends", "Business hours: &#39;weekends&#39; is not one of office, 24x7"),
    ],
)
def test_a_bad_value_gets_a_400_page_that_says_which_and_keeps_the_form(
    web: TestClient, demo: World, query: str, message: str
) -> None:
    sign_in(web, demo.email("alice"))
    r = web.get(f"/clients/office/advice?{query}")
    assert r.status_code == 400
    assert message in r.text
    assert 'role="alert"' in r.text
    assert '<form method="get"' in r.text
    assert "data-verdict" not in r.text


def test_what_was_typed_comes_back_escaped(web: TestClient, demo: World) -> None:
    sign_in(web, demo.email("alice"))
    r = web.get("/clients/office/advice", params={"cost": '"><script>x</script>'})
    assert r.status_code == 400
    assert "<script>x" not in r.text
    assert "&lt;script&gt;x" in r.text


def test_stated_values_override_the_clients_own(web: TestClient, demo: World) -> None:
    sign_in(web, demo.email("alice"))
    r = web.get("/clients/home/advice", params={"cost": "5,000", "hours": "office"})
    assert r.status_code == 200
    assert "downtime cost 5,000/h (entered on this page)" in r.text
    assert "business hours Mon–Fri 09:00–17:00" in r.text
    doc = report(demo, "home", downtime_cost=5000.0, hours="office")
    assert f'data-verdict="{doc["verdict"]}"' in r.text
    assert 'value="5,000"' in r.text  # the form shows what was typed


def test_a_client_without_a_downtime_cost_is_told_what_is_missing(
    web: TestClient, demo: World
) -> None:
    sign_in(web, demo.email("alice"))
    r = web.get("/clients/acme/advice")  # acme's inventory states no service settings
    assert r.status_code == 200
    assert "No answer yet:" in r.text
    assert "no downtime cost" in r.text
    assert '<form method="get"' in r.text
    answered = web.get("/clients/acme/advice?cost=660")
    assert answered.status_code == 200
    assert "data-verdict=" in answered.text


def test_the_client_page_links_to_its_advice(web: TestClient, demo: World) -> None:
    sign_in(web, demo.email("alice"))
    page = web.get(f"/clients/{demo.id_of(m.Client, 'office', 'office')}").text
    assert 'href="/clients/office/advice"' in page


def test_the_page_prints_without_navigation_or_form() -> None:
    from sitekeeper.web.templating import STATIC_DIR

    css = (STATIC_DIR / "sitekeeper.css").read_text()
    rules = css[css.index("@media print") :]
    hidden = rules[: rules.index("display: none")]
    for selector in (".top", ".crumbs", ".advice-form", ".print-button"):
        assert selector in hidden
    assert "size: A4" in rules


# -- the charts on their own -----------------------------------------------------------------


def test_data_in_labels_is_escaped_in_the_svg() -> None:
    doc = {
        "delta": {"mean": 1000.0},
        "tornado": [
            {
                "label": 'rate <b>&"',
                "unit": "$/h",
                "low": 100.0,
                "high": 250.0,
                "delta_low": -500.0,
                "delta_high": 2500.0,
                "delta_base": 1000.0,
                "swing": 3000.0,
                "flip": 140.0,
                "flip_exact": True,
            }
        ],
    }
    chart = advice_svg.tornado(doc, "t")
    assert chart is not None
    root = ET.fromstring(str(chart.svg))
    assert "<b>" not in str(chart.svg)
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert 'rate <b>&"' in texts
    assert "100/h → 250/h" in texts
    assert "flips at 140/h" in texts
    assert "the answer flips at 140/h" in chart.caption
    assert "swing 3,000" in chart.caption


def test_a_document_without_tornado_or_history_draws_only_what_it_has() -> None:
    doc: dict[str, Any] = {"history": {"months": [], "monthly_counts": [], "monthly_fit": []}}
    assert advice_svg.tornado(doc, "t") is None
    assert advice_history_svg.incidents(doc, "i") is None


def test_axis_ticks_are_round_and_cover_the_range() -> None:
    assert svgplot.nice_ticks(0, 10, 5) == [0, 2, 4, 6, 8, 10]
    assert svgplot.nice_ticks(1700, 20397, 6) == [5000, 10000, 15000, 20000]
    assert svgplot.amount(-1703.2) == "−1,703"
    assert svgplot.short(175_000) == "175k"


@pytest.mark.parametrize("colour", advice_svg.PALETTE)
def test_chart_colours_stand_out_from_the_page(colour: str) -> None:
    # WCAG 1.4.11: graphics need 3:1 against what surrounds them; bars carry white labels,
    # which need the 4.5:1 of text
    for background in ("surface", "bg"):
        assert contrast(colour, COLOURS[background]) >= 4.5, (colour, background)


def test_chart_text_uses_the_page_text_colours() -> None:
    assert COLOURS["text"] == svgplot.TEXT
    assert COLOURS["muted"] == svgplot.MUTED
