"""Signing in, in a real browser: the way back to the page asked for, clear errors, the rate
limit with its wait, visible keyboard focus. SQLite only (test_pages.py covers both stores)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, expect

from sitekeeper.api.app import create_app
from sitekeeper.clock import FakeClock
from sitekeeper.db import models as m
from sitekeeper.results.store import Store
from tests.web.conftest import LiveServer, browser_sign_in, shot, watch_console
from tests.web.world import World, populate


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'sitekeeper.db'}"


@pytest.fixture
def served(store: Store) -> Iterator[tuple[World, LiveServer]]:
    world = populate(store, FakeClock(start=time.time() - 29 * 60))  # history up to now
    with LiveServer(create_app(store)) as server:
        yield world, server


async def test_a_wrong_password_says_so_and_repeated_failures_are_limited_with_the_wait(
    served: tuple[World, LiveServer], browser: BrowserContext
) -> None:
    world, server = served
    page = await browser.new_page()
    problems = watch_console(page)
    nvr = world.id_of(m.Device, "nvr", "acme")
    await page.goto(f"{server.url}/devices/{nvr}")
    await expect(page).to_have_url(re.compile(rf"/login\?next=/devices/{nvr}$"))

    await browser_sign_in(page, server.url, "alice@example.com", "not the password")
    alert = page.get_by_role("alert")
    await expect(alert).to_have_text("Wrong e-mail address or password.")
    await expect(page.get_by_label("E-mail address")).to_have_value("alice@example.com")
    await shot(page, "08-login-wrong-password")
    for _ in range(4):
        await browser_sign_in(page, server.url, "alice@example.com", "still not it")
        await expect(alert).to_have_text("Wrong e-mail address or password.")
    await browser_sign_in(page, server.url, "alice@example.com")  # right, but too late
    await expect(alert).to_have_text("Too many sign-in attempts. Try again in 5 minutes.")
    await shot(page, "09-login-rate-limited")

    # the limit is per account: bob signs in from the same address, and lands where he asked
    await page.goto(f"{server.url}/devices/{nvr}")
    await page.get_by_label("E-mail address").fill("bob@example.com")
    await page.get_by_label("Password").fill("correct horse battery staple")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{server.url}/devices/{nvr}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("nvr")
    await expect(page.locator('figure[data-kind="latency"] canvas').first).to_be_visible()
    await expect(page.locator('figure[data-kind="availability"] figcaption').first).to_contain_text(
        "100.00 % of 30 results OK"
    )
    await shot(page, "11-device-with-half-an-hour-of-history")
    assert problems == [], problems


async def test_keyboard_focus_is_visible_and_every_status_is_a_word(
    served: tuple[World, LiveServer], browser: BrowserContext
) -> None:
    _, server = served
    page = await browser.new_page()
    await browser_sign_in(page, server.url, "alice@example.com")
    await expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()

    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_in_viewport()
    await page.keyboard.press("Tab")
    outline = await page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle + ' ' +"
        " getComputedStyle(document.activeElement).outlineWidth"
    )
    assert outline == "solid 3px", outline
    await shot(page, "10-keyboard-focus", full_page=False)

    words = await page.locator(".badge").all_inner_texts()
    assert words, "no status badges on the overview"
    for text in words:
        assert re.fullmatch(r"\S \b[A-Z]+\b", text.strip()), text  # symbol + word


async def test_the_page_says_when_live_updates_stop_arriving(
    served: tuple[World, LiveServer], browser: BrowserContext
) -> None:
    _, server = served
    page = await browser.new_page()
    await browser_sign_in(page, server.url, "alice@example.com")
    await expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    note = page.locator("#live-note")
    await expect(note).to_be_hidden()
    server.__exit__()
    await expect(note).to_be_visible(timeout=15_000)
    await expect(note).to_have_text(re.compile("Live updates paused: the server is not answering"))
