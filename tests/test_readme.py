"""The README's commands do what it says: every command in its shell blocks runs here, against
the running dev stack (`python -m service dev`) when it can run offline, or is checked to parse
when it needs real Stripe, Heroku or a six-minute benchmark; every `flask --app wsgi` command
written anywhere in it names commands and options that exist. So README and behaviour cannot
drift apart again."""

import json
import re
import shlex
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from service.domain.event_types import HANDLED_TYPES
from tests.support.processes import BIN, ROOT, process_env

README = (Path(ROOT) / "README.md").read_text()
# A command that needs what the tests do not have (real Stripe, Heroku, minutes) is only parsed.
PARSE_ONLY = (
    "stripe listen",
    "stripe webhook_endpoints",
    "STRIPE_SECRET_KEY=sk_test_",
    "heroku ",
    "python3.11 -m venv",
    ".venv/bin/python -m tests.",
    # Refreshing the locks rewrites the repository's requirements files from the package index:
    # a maintainer's step, never a test's (tests/test_dependencies.py checks the locks instead).
    "/tmp/piptools/",
)


DEV_ENV = 'eval "$(.venv/bin/python -m service dev env)"'


def shell_blocks():
    """Each ```sh block as a list of logical commands (continuations joined, comments dropped)."""
    blocks = []
    for body in re.findall(r"```sh\n(.*?)```", README, re.S):
        joined = re.sub(r"\\\n\s*", " ", body)
        commands = [re.sub(r"\s+#.*$", "", line).strip() for line in joined.splitlines()]
        blocks.append([command for command in commands if command and not command.startswith("#")])
    return blocks


def bash(script, timeout=60):
    return subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env=process_env({}),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def for_the_test_stack(command, dev_stack, ids):
    """The command pointed at the test's dev stack: its state file instead of var/dev.json, its
    address for the README's example hosts, the ids earlier commands printed, a short outage."""
    command = re.sub(r"(python -m service dev (?:env|outage))", rf"\1 --state-file {dev_stack.state_file}", command)
    command = command.replace("--seconds 20", "--seconds 0.5").replace("https://YOUR-APP", dev_stack.url)
    for placeholder, value in ids.items():
        command = command.replace(placeholder, value)
    return command


def run_block(block, dev_stack):
    """Run (or parse) one block's commands in order; returns (ran, parsed)."""
    ran = parsed = 0
    # Commands for a configured service run with the dev stack's settings, as the README's
    # "Your own commands" says: `eval "$(.venv/bin/python -m service dev env)"`.
    prelude = [command for command in block if command.startswith("eval ")] or [DEV_ENV]
    ids = {}
    for command in block:
        if command.startswith(PARSE_ONLY):
            check = bash(f"bash -n <<'EOF'\n{command}\nEOF")
            assert check.returncode == 0, (command, check.stderr)
            parsed += 1
            continue
        script = "set -e\n" + "\n".join(for_the_test_stack(c, dev_stack, ids) for c in [*prelude, command])
        result = bash(script)
        deadline = time.monotonic() + 20
        while '"status"' in result.stdout and '"paid"' not in result.stdout and "/orders/" in command:
            assert time.monotonic() < deadline, result.stdout  # the webhook lands within seconds
            time.sleep(0.5)
            result = bash(script)
        assert result.returncode in (0, 1), (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, (command, result.stderr)
        if "--json" in command or command.startswith("curl"):
            document = json.loads(result.stdout)  # only JSON on stdout
            if isinstance(document, dict) and "order_id" in document and "payment_intent_id" in document:
                ids.update(ORDER_ID=document["order_id"], PI_ID=document["payment_intent_id"])
        ran += 1
    return ran, parsed


def test_every_shell_command_in_the_readme_runs_or_parses(dev_stack):
    """Offline commands run against the dev stack and do what the README says they do (JSON
    where it shows JSON, the order paid after the simulator's card); the rest parse. Blocks run
    side by side, but the outage demo's alone (it fails the service's writes)."""
    blocks = shell_blocks()
    outage = [block for block in blocks if any("dev outage" in command for command in block)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        counts = list(pool.map(lambda block: run_block(block, dev_stack), [b for b in blocks if b not in outage]))
    counts += [run_block(block, dev_stack) for block in outage]
    ran, parsed = (sum(column) for column in zip(*counts, strict=True))
    assert ran >= 10 and parsed >= 4, (ran, parsed)


def test_the_readme_test_command_is_what_ci_runs_and_the_stripe_event_list_is_what_the_service_handles():
    """`.ci/run` ends with the README's test command; the `stripe listen --events` list is
    exactly the types the service handles and sweeps."""
    test_command = next(c for block in shell_blocks() for c in block if " -m pytest" in c)
    ci = (Path(ROOT) / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == test_command
    events = re.search(r"--events (\S+)", README).group(1).split(",")
    assert sorted(events) == sorted(HANDLED_TYPES)


def flask_commands_in_text():
    """Every `flask --app wsgi …` written in the README, in code blocks or inline code."""
    spans = re.findall(r"`([^`\n]*flask --app wsgi[^`\n]*)`", README) + [
        c for block in shell_blocks() for c in block if "flask --app wsgi" in c
    ]
    commands = [span.split("flask --app wsgi", 1)[1] for span in spans]
    return [command for command in commands if command.strip()]  # the bare name, used as a noun


def test_every_flask_command_the_readme_names_exists_with_its_options(app):
    """Each `flask --app wsgi GROUP COMMAND --option` in the README is a real command path with
    real options (brackets and `|` alternatives included)."""
    checked = 0
    for text in flask_commands_in_text():
        words = [word for word in shlex.split(re.sub(r"[\[\]|\\]", " ", text)) if word]
        command, path = app.cli, []
        while words and not words[0].startswith("-") and hasattr(command, "commands") and words[0] in command.commands:
            command = command.commands[words[0]]
            path.append(words.pop(0))
        if words == ["--help"] and not path:  # the command list itself
            continue
        assert path and not hasattr(command, "commands"), f"flask --app wsgi{text}: no such command"
        options = {opt for param in command.params for opt in getattr(param, "opts", ())}
        for word in words:
            if word.startswith("--"):
                assert word.split("=")[0] in options, f"flask --app wsgi{text}: {word} is not an option of {path}"
        checked += 1
    assert checked >= 20, checked
    assert (Path(BIN) / "flask").exists()
