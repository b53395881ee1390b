"""The advisor's page in a real browser: the verdicts of the two demo clients, every chart
drawn with a size, no script or Content-Security-Policy error, and the printed page without
navigation or form. SQLite only (test_advice_pages.py covers both stores)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from sitekeeper.api.app import create_app
from sitekeeper.clock import FakeClock
from sitekeeper.db import models as m
from sitekeeper.lab.setup import install_advisor_demo
from sitekeeper.results.store import Store
from tests.web.conftest import LiveServer, browser_sign_in, shot, watch_console
from tests.web.world import World, populate


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'sitekeeper.db'}"


@pytest.fixture
def served(store: Store) -> Iterator[tuple[World, LiveServer]]:
    world = populate(store, FakeClock(start=time.time() - 29 * 60))
    with store.session() as session:
        install_advisor_demo(session, time.time())
        session.commit()
    with LiveServer(create_app(store)) as server:
        yield world, server


KINDS = ["components", "delta", "disruption", "histogram", "incidents", "tornado"]


async def assert_charts_drawn(page: Page) -> None:
    """All six charts are on the page, each drawn with a size and captioned."""
    figures = page.locator("figure.advice-chart")
    found = sorted(await figures.evaluate_all("fs => fs.map(f => f.dataset.plot)"))
    assert found == KINDS
    for kind in found:
        svg = page.locator(f'figure[data-plot="{kind}"] svg')
        await svg.scroll_into_view_if_needed()
        box = await svg.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100, (kind, box)
        await expect(page.locator(f'figure[data-plot="{kind}"] figcaption')).not_to_be_empty()


async def test_the_office_page_says_managed_and_outgrown_and_draws_every_chart(
    served: tuple[World, LiveServer], browser: BrowserContext
) -> None:
    world, server = served
    page = await browser.new_page()
    problems = watch_console(page)
    await browser_sign_in(page, server.url, "alice@example.com")
    await expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()

    # from the client page, as a service manager would get there
    office = world.id_of(m.Client, "office", "office")
    await page.goto(f"{server.url}/clients/{office}")
    await page.get_by_role("link", name="Managed or break-fix?").click()
    await expect(page).to_have_url(f"{server.url}/clients/office/advice")
    await expect(page.locator("[data-verdict]")).to_have_text("managed")
    await expect(page.locator("[data-switch]")).to_contain_text("outgrown break-fix")
    await expect(page.locator(".headline")).to_contain_text("Managed is expected to save")
    await assert_charts_drawn(page)
    await shot(page, "09-advice-office")

    # printed: the report alone, charts kept
    await page.emulate_media(media="print")
    await expect(page.locator(".advice-form")).to_be_hidden()
    await expect(page.locator("header.top")).to_be_hidden()
    await expect(page.get_by_role("button", name="Print")).to_be_hidden()
    await expect(page.locator(".print-only")).to_contain_text("simulated years per support model")
    await assert_charts_drawn(page)
    await page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    await shot(page, "09-advice-office-print")
    await page.emulate_media(media="screen")
    assert problems == [], problems


async def test_the_home_page_says_break_fix_and_the_form_recalculates(
    served: tuple[World, LiveServer], browser: BrowserContext
) -> None:
    _, server = served
    page = await browser.new_page()
    problems = watch_console(page)
    await browser_sign_in(page, server.url, "alice@example.com")
    await expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    await page.goto(f"{server.url}/clients/home/advice")
    await expect(page.locator("[data-verdict]")).to_have_text("break-fix")
    await expect(page.locator("[data-switch]")).to_contain_text("break-fix still fits")
    await assert_charts_drawn(page)
    await shot(page, "09-advice-home")

    await page.get_by_role("textbox", name="Downtime cost per hour").fill("lots")
    await page.get_by_role("button", name="Recalculate").click()
    await expect(page.get_by_role("alert")).to_contain_text(
        "Downtime cost per hour: 'lots' is not a number"
    )
    await page.get_by_role("textbox", name="Downtime cost per hour").fill("5000")
    await page.get_by_label("Business hours").select_option("office")
    await page.get_by_role("button", name="Recalculate").click()
    await expect(page).to_have_url(
        f"{server.url}/clients/home/advice?cost=5000&hours=office&tolerance="
    )
    await expect(page.locator(".assumptions")).to_contain_text(
        "downtime cost 5,000/h (entered on this page)"
    )
    await expect(page.locator("[data-verdict]")).to_have_text("managed")
    assert problems == [], problems
