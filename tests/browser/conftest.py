"""The dev stack started as a person starts it (``python -m service dev``: embedded
SecantusDB, the Stripe simulator with its Stripe.js stand-in, gunicorn) and headless
Chromium (Debian's package; ``.ci/run`` installs it) driven by Playwright.

Playwright is only the driver here: it never downloads a browser (``playwright install`` is
never run); it launches /usr/bin/chromium.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest
import requests

from service.devtools.secantus import free_port
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
# The dev stack must take nothing from the developer's shell: it runs offline.
SCRUBBED = (
    "MONGODB_URI",
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "STRIPE_JS_URL",
    "PORT",
    "WEB_CONCURRENCY",
)


@dataclass
class DevStack:
    """A running ``python -m service dev``: its URL, state file, output and process."""

    url: str
    state_file: str
    log_path: str
    process: subprocess.Popen

    def logs(self):
        """Everything the stack printed so far (gunicorn's JSON request lines included)."""
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def outage(self, seconds):
        """Start ``python -m service dev outage --seconds N``; returns once it is armed."""
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service",
                "dev",
                "outage",
                "--seconds",
                str(seconds),
                "--state-file",
                self.state_file,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        first = proc.stdout.readline()
        assert first.startswith("database outage:"), first + proc.stdout.read()
        return proc


def _wait_ready(stack, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            raise RuntimeError(f"the dev stack exited {stack.process.returncode}:\n{stack.logs()}")
        if os.path.exists(stack.state_file):
            try:
                if requests.get(stack.url + "/products", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
        time.sleep(0.2)
    raise RuntimeError("the dev stack did not come up:\n" + stack.logs())


def _stop(stack):
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGTERM)  # the stack stops its gunicorn and database itself
        try:
            stack.process.wait(40)
            return
        except subprocess.TimeoutExpired:
            pass
    try:  # last resort: nothing may outlive the test session
        with open(stack.state_file, encoding="utf-8") as handle:
            os.kill(json.load(handle)["database_pid"], signal.SIGKILL)
    except (OSError, ValueError, KeyError):
        pass
    if stack.process.poll() is None:
        os.killpg(stack.process.pid, signal.SIGKILL)
        stack.process.wait(10)


@pytest.fixture(scope="module")
def dev_stack(tmp_path_factory):
    """The README's run command on free ports and a temporary data folder."""
    base = tmp_path_factory.mktemp("devstack")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED}
    log_path = str(base / "dev.log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service",
                "dev",
                "--port",
                str(port),
                "--workers",
                "1",
                "--data-dir",
                str(base / "secantus"),
                "--state-file",
                str(base / "dev.json"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = DevStack(f"http://127.0.0.1:{port}", str(base / "dev.json"), log_path, process)
    try:
        _wait_ready(stack)
        yield stack
    finally:
        _stop(stack)


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


@pytest.fixture
def page(browser, dev_stack, request):
    """A fresh browser context on the checkout page. Fails the test on any script error or
    Content-Security-Policy violation; screenshots the final state to test-artifacts/."""
    context = browser.new_context(viewport={"width": 1024, "height": 900})
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
    yield page
    screenshot(page, request.node.name + "-final")
    context.close()
    assert not problems, problems


def screenshot(page, name):
    """Save a full-page PNG under test-artifacts/browser/ (kept by CI as an artifact)."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, re.sub(r"[^\w.-]+", "_", name) + ".png"), full_page=True)
