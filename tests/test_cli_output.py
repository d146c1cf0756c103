"""Commands as an operator's scripts meet them: every `--json` output is only JSON on stdout
(log lines on stderr, a failure as a JSON error), and progress lines appear on stderr only
when it is a terminal."""

import json
import os
import pty
import select
import subprocess
from concurrent.futures import ThreadPoolExecutor

import click
import pytest

from tests.support.helpers import deliver, new_order
from tests.support.processes import BIN, ROOT, process_env

# Every command with --json, and the arguments it runs with here ({order}, {event}, {catalog}).
JSON_COMMANDS = {
    ("consolidate",): ["--period", "hour"],
    ("events", "list"): [],
    ("events", "replay"): ["{event}"],
    ("orders", "refund"): ["{order}", "--dry-run"],
    ("orders", "show"): ["{order}"],
    ("orders", "stuck"): ["--older-than", "0"],
    ("outbox", "deliver"): [],
    ("outbox", "replay"): ["--all"],
    ("products", "import"): ["{catalog}"],
    ("products", "list"): [],
    ("reconcile",): ["--older-than", "0"],
}
EXTRA_RUNS = [["reconcile", "--report"], ["reconcile", "--dry-run"]]


def commands_with_json(group, path=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands_with_json(command, (*path, name))
        elif any("--json" in getattr(param, "opts", ()) for param in command.params):
            yield (*path, name)


@pytest.fixture
def stack_env(app, client, fake_stripe, service_stack, tmp_path):
    """The app's database and fake Stripe as an environment for `flask` processes, with one
    paid order and its stored event."""
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    deliver(client, event)
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps([{"sku": "tee", "name": "T-shirt", "unit_amount": 2000, "currency": "usd"}]))
    env = service_stack.environment(app.extensions["payments"].settings.db_name, STRIPE_READ_RATE="1000")
    return env, {"order": order_id, "event": event["id"], "catalog": str(catalog)}


def flask(env, args, stderr=subprocess.PIPE):
    return subprocess.run(
        [os.path.join(BIN, "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=process_env(env),
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_json_output_is_only_json_on_stdout(app, stack_env):
    """Each command with --json (the table must name them all) prints one JSON document on
    stdout, whatever it logs; logs go to stderr."""
    assert set(commands_with_json(app.cli)) == set(JSON_COMMANDS)
    env, ids = stack_env
    runs = [[*path, *(arg.format(**ids) for arg in args)] for path, args in JSON_COMMANDS.items()] + EXTRA_RUNS
    with ThreadPoolExecutor(max_workers=4) as pool:  # independent processes: run a few at a time
        results = list(pool.map(lambda args: (args, flask(env, [*args, "--json"])), runs))
    for args, result in results:
        assert result.returncode in (0, 1), (args, result.stderr)
        try:
            document = json.loads(result.stdout)
        except ValueError:
            pytest.fail(f"flask {' '.join(args)} --json printed more than JSON:\n{result.stdout}")
        assert document is not None, args
        if args[0] == "reconcile":
            logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
            assert any(line.get("msg") == "reconcile pass" or "logger" in line for line in logged), result.stderr
    missing = json.loads(flask(env, ["orders", "show", "ord_" + "0" * 32, "--json"]).stdout)
    assert missing["error"]["code"] == "order_not_found"


def read_all(fd, timeout=10.0):
    chunks = []
    while select.select([fd], [], [], timeout)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def test_a_long_pass_reports_progress_on_a_terminal_and_nothing_in_a_pipe(stack_env):
    """`reconcile` with stderr on a terminal prints "… stuck orders" progress lines; with
    stderr piped (cron, CI, a log file) it prints none."""
    env, _ = stack_env
    controller, terminal = pty.openpty()
    try:
        result = flask(env, ["reconcile", "--older-than", "0"], stderr=terminal)
        os.close(terminal)
        shown = read_all(controller)
    finally:
        os.close(controller)
    assert result.returncode == 0, shown
    assert "… stuck orders" in shown
    piped = flask(env, ["reconcile", "--older-than", "0"])
    assert piped.returncode == 0 and "…" not in piped.stderr and "…" not in piped.stdout
