"""The dev stack started as a person starts it (``python -m service dev``: embedded
SecantusDB, the Stripe simulator with its Stripe.js stand-in, gunicorn) and headless
Chromium (Debian's package; ``.ci/run`` installs it) driven by Playwright.

Playwright is only the driver here: it never downloads a browser (``playwright install`` is
never run); it launches /usr/bin/chromium.
"""

import os
import re

import pytest

from tests.support.processes import ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling Google on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = os.path.join(ROOT, "test-artifacts", "browser")


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium; a missing browser fails (never skips) with the fix."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does this) or set CHROMIUM_PATH")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


VIEWPORTS = {"desktop": {"width": 1024, "height": 900}, "phone": {"width": 390, "height": 844}}


def open_page(browser, dev_stack, viewport):
    """A fresh browser context on the checkout page at ``viewport``; returns (page, problems,
    close). ``problems`` collects script errors and Content-Security-Policy violations."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], is_mobile=viewport == "phone")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.goto(dev_stack.url + "/")
    return page, problems, context.close


@pytest.fixture(params=list(VIEWPORTS))
def page(browser, dev_stack, request):
    """The checkout page on a desktop and on a 390×844 phone viewport. Fails the test on any
    script error or Content-Security-Policy violation; screenshots the final state to
    test-artifacts/."""
    page, problems, close = open_page(browser, dev_stack, request.param)
    yield page
    screenshot(page, request.node.name + "-final")
    close()
    assert not problems, problems


@pytest.fixture
def pages(browser, dev_stack, request):
    """The checkout page on both viewports at once ({"desktop": page, "phone": page}), for a
    test whose waits (a database outage) both can share; checked and kept like ``page``."""
    opened = {viewport: open_page(browser, dev_stack, viewport) for viewport in VIEWPORTS}
    yield {viewport: page for viewport, (page, _, _) in opened.items()}
    for viewport, (page, problems, close) in opened.items():
        screenshot(page, f"{request.node.name}[{viewport}]-final")
        close()
        assert not problems, problems


def screenshot(page, name):
    """Save a full-page PNG under test-artifacts/browser/ (kept by CI as an artifact), named
    with the viewport's width."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    if not name.endswith("-final"):  # the final ones carry the test's viewport id already
        name += f"-{page.viewport_size['width']}px"
    page.screenshot(path=os.path.join(ARTIFACTS, re.sub(r"[^\w.-]+", "_", name) + ".png"), full_page=True)


def accessibility_violations(page):
    """axe-core's violations on the page as it is now (rule id: the failing elements)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return {
        violation["id"]: [node["target"] for node in violation["nodes"]] for violation in results.response["violations"]
    }
