"""The issue's acceptance in a real browser: the lab site monitored live, a device failed,
and the page turning it DOWN without a reload; a client user of another client sees none of
it. Runs on SQLite only (the same pages on PostgreSQL are covered by test_pages.py).

The lab runs with short intervals (2 s, retry 1 s, 3 attempts); pages poll every 5 s.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Locator, Page, expect

from sitekeeper.api.app import create_app
from sitekeeper.auth.principal import Role
from sitekeeper.clock import SystemClock
from sitekeeper.inventory.apply import apply_inventory
from sitekeeper.inventory.validate import parse_inventory
from sitekeeper.lab import Lab
from sitekeeper.lab.setup import install as install_lab
from sitekeeper.results.store import Store
from sitekeeper.runtime import EmbeddedRuntime, RuntimeOptions
from sitekeeper.secrets import SecretBox
from tests.test_acceptance import ATTEMPTS, INTERVAL, RETRY, fast_site
from tests.web.conftest import LiveServer, browser_sign_in, shot, watch_console
from tests.web.world import create_users

GLOBEX = """
defaults: {interval: 2s, timeout: 1s, disable_checks: [icmp]}
clients:
  - id: globex
    name: Globex Home
    sites:
      - id: house
        name: The house
        devices:
          - {id: gateway, kind: router, address: 127.0.0.1, checks: [{type: tcp, port: 9}]}
"""
POLL = 5.0  # the pages' live regions
DOWN_WITHIN_S = (ATTEMPTS * RETRY + INTERVAL + POLL) + 10.0  # + slack for a busy machine


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'sitekeeper.db'}"


@dataclass
class Running:
    lab: Lab
    server: LiveServer


@pytest.fixture
async def running(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Running]:
    monkeypatch.delenv("SITEKEEPER_SECRET_KEY", raising=False)
    box = SecretBox.for_data_dir(tmp_path)
    network = f"127.{random.randint(80, 120)}.{random.randint(0, 250)}.0/24"
    async with Lab(control_port=None, network=network, site_text=fast_site()) as lab:
        now = SystemClock().now()
        with store.session() as session:
            install_lab(session, lab.inventory_text(), box, now)
            apply_inventory(session, parse_inventory(GLOBEX, "globex"), now)
            session.commit()
        create_users(
            store, now, (("alice", Role.ADMIN, None, ()), ("carol", Role.CLIENT, "globex", ()))
        )
        runtime = EmbeddedRuntime(store, RuntimeOptions(reload_every_s=0.5, data_dir=tmp_path))
        stop = asyncio.Event()
        task = asyncio.create_task(runtime.run(stop))
        try:
            with LiveServer(create_app(store, runtime=runtime)) as server:
                yield Running(lab, server)
        finally:
            stop.set()
            await task


def badge(page: Page, device: str) -> Locator:
    """The status badge of a device's row in its system's table on the site page."""
    return page.locator(f'section.system-group tr[data-device="{device}"] .badge').first


async def test_a_failed_lab_device_turns_down_on_the_page_and_another_client_sees_none_of_it(
    running: Running, browser: BrowserContext
) -> None:
    base = running.server.url
    page = await browser.new_page()
    problems = watch_console(page)

    # alice (admin) signs in and walks to the lab site: overview -> client -> site
    await browser_sign_in(page, base, "alice@example.com")
    await expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    await page.get_by_role("link", name="Harbour View Dental", exact=True).first.click()
    await page.get_by_role("link", name=re.compile("Main Street clinic")).first.click()
    switch = badge(page, "core-switch")
    await expect(switch).to_have_text(re.compile("UP"), timeout=30_000)
    site_url = page.url
    await page.evaluate("window.skNoReload = true")
    await shot(page, "01-site-all-up")

    await running.lab.fail("core-switch")
    await expect(switch).to_have_text(re.compile("DOWN"), timeout=DOWN_WITHIN_S * 1000)
    behind = badge(page, "nvr")
    await expect(behind).to_have_text(re.compile("DOWN|UNREACHABLE"), timeout=10_000)
    assert await page.evaluate("window.skNoReload === true"), "the page was reloaded"
    assert page.url == site_url
    await expect(page.locator("#problems-h + table")).to_contain_text("core-switch")
    await shot(page, "02-site-core-switch-down")

    # the overview puts it first; the device page has checks, flips and charts
    await page.get_by_role("link", name="Overview", exact=True).first.click()
    await expect(page.locator(".problems tbody tr").first).to_contain_text("DOWN")
    # one incident, rooted at the switch, naming what the practice lost (after the hold-down)
    incidents = page.locator("table.incidents")
    await expect(incidents).to_contain_text("core-switch", timeout=30_000)
    await expect(incidents).to_contain_text("Security cameras")
    lab_rows = incidents.locator("tbody tr", has_text="core-switch")
    await expect(lab_rows).to_have_count(1)  # one incident for the lab, not one per device
    await shot(page, "03-overview-problems-first")
    await page.locator('.problems tr[data-device="core-switch"] a').first.click()
    await expect(page.locator(".device-status .badge")).to_have_text(re.compile("DOWN"))
    await expect(page.locator("table.checks")).to_contain_text("CRIT")
    await expect(page.locator("table.flips")).to_contain_text("DOWN")
    await expect(page.locator('figure[data-kind="latency"] canvas').first).to_be_visible()
    await expect(page.locator('figure[data-kind="availability"] figcaption').first).to_contain_text(
        "% of"
    )
    await page.get_by_role("button", name="6h").click()
    await expect(page.get_by_role("button", name="6h")).to_have_attribute("aria-pressed", "true")
    device_url = page.url
    await shot(page, "04-device-core-switch")

    # on a phone: no sideways scrolling, status still words and symbols
    phone = await browser.new_page()
    await phone.set_viewport_size({"width": 390, "height": 844})
    phone_problems = watch_console(phone)
    for path, name in (("/", "05-phone-overview"), (site_url, "06-phone-site")):
        await phone.goto(path if path.startswith("http") else base + path)
        await expect(phone.locator(".badge").first).to_be_visible()
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name}: the page is {width}px wide on a 390px screen"
        await shot(phone, name, full_page=False)
    await phone.close()

    # signing out ends the session; carol (globex) sees none of the lab
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(re.compile("/login"))
    await browser_sign_in(page, base, "carol@example.com")
    await expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    await expect(page.locator("main")).to_contain_text("Globex Home")
    body = await page.locator("main").inner_text()
    for lab_word in ("Harbour View", "core-switch", "Main Street"):
        assert lab_word not in body
    await shot(page, "07-client-user-overview")
    response = await page.goto(device_url)
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    response = await page.goto(site_url)
    assert response is not None and response.status == 404

    assert problems == [] and phone_problems == [], problems + phone_problems


async def test_a_ups_on_battery_and_a_projector_lamp_error_show_in_words_on_their_pages(
    running: Running, browser: BrowserContext
) -> None:
    """Faults a ping cannot see: both devices still answer, and their pages say what is wrong."""
    base = running.server.url
    page = await browser.new_page()
    problems = watch_console(page)
    await browser_sign_in(page, base, "alice@example.com")
    await page.get_by_role("link", name="Harbour View Dental", exact=True).first.click()
    await page.get_by_role("link", name=re.compile("Main Street clinic")).first.click()
    await expect(badge(page, "ups")).to_have_text(re.compile("UP"), timeout=30_000)
    await expect(badge(page, "projector")).to_have_text(re.compile("UP"), timeout=30_000)
    site_url = page.url

    running.lab.set_condition("ups", "on-battery")
    running.lab.set_condition("projector", "lamp-error")
    for device, words in (("ups", "on battery"), ("projector", "lamp error")):
        await page.goto(site_url)
        await page.locator(f'section.system-group tr[data-device="{device}"] a').first.click()
        checks = page.locator("table.checks")
        await expect(checks).to_contain_text(words, timeout=DOWN_WITHIN_S * 1000)
        await expect(checks).to_contain_text("CRIT")
        # the device answers on the network: it is a problem inside it, not an outage
        # the check shows CRIT from its first failed attempt; the device follows once the
        # check's state is hard (its retries), which the live region shows within a poll
        await expect(page.locator(".device-status .badge")).to_have_text(
            re.compile("DEGRADED|DOWN"), timeout=DOWN_WITHIN_S * 1000
        )
        await expect(page.locator(".device-status")).to_contain_text(
            words, timeout=DOWN_WITHIN_S * 1000
        )
        await shot(page, f"08-device-{device}-{words.replace(' ', '-')}")
    assert problems == [], problems
