"""The dev stack started as a person starts it (``python -m service dev``: embedded SecantusDB,
the Stripe simulator with its Stripe.js stand-in, gunicorn and the reconciler worker) on a
free port and a temporary data folder, for the browser tests and the dev-stack tests."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import requests

from service.devtools.secantus import free_port
from tests.support.processes import ROOT

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
    "ADMIN_TOKEN",
    "METRICS_TOKEN",
    "SHOP_WEBHOOK_URLS",
    "SHOP_WEBHOOK_SECRETS",
)


@dataclass
class DevStack:
    """A running ``python -m service dev``: its URL, state file, output and process."""

    url: str
    state_file: str
    log_path: str
    process: subprocess.Popen

    def env(self):
        """The settings the running stack prints with ``dev env`` (its state file's ``env``)."""
        with open(self.state_file, encoding="utf-8") as handle:
            return json.load(handle)["env"]

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


@contextlib.contextmanager
def running_dev_stack(base, *extra):
    """The README's run command on a free port with its data in ``base`` (a pathlib.Path); stopped on exit."""
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
                *extra,
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
