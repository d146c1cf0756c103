"""``python -m service dev env``: the settings of the running dev stack, for your own commands.

The dev stack records in its state file (``var/dev.json``, readable by its owner only) the
variables it set itself: the embedded database's URI, the simulator's keys and URL, the dev
tokens. This command prints them as shell exports, so ``flask --app wsgi …`` and ``curl``
reach the same database, simulator and admin API as the running stack::

    eval "$(.venv/bin/python -m service dev env)"
    .venv/bin/flask --app wsgi orders stuck --older-than 0
    curl -s -H "Authorization: Bearer $ADMIN_TOKEN" "$PAYMENTS_URL/admin/summary"
"""

import argparse
import json
import os
import shlex
import sys

# The operator's own commands connect under this name, so `dev outage` (which fails the
# service's writes only) never fails them.
CLI_APP_NAME = "payments-cli"


def write_state(path, state):
    """Write the state file atomically and readable by its owner only (it holds dev tokens)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state, handle)
    os.replace(path + ".tmp", path)


def read_state(path):
    """The running stack's state, or None when no dev stack is running (no state file)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


def exports(state):
    """``export NAME='value'`` lines for every variable the dev stack set, sorted by name."""
    return [f"export {name}={shlex.quote(value)}" for name, value in sorted(state.get("env", {}).items())]


def main(argv, state_file):
    """Print the running stack's settings; exit status 1 when no dev stack is running."""
    parser = argparse.ArgumentParser(
        prog="python -m service dev env",
        description="Print the running dev stack's settings as shell exports, for your own flask and curl "
        'commands: eval "$(.venv/bin/python -m service dev env)".',
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout instead of exports")
    parser.add_argument(
        "--state-file", default=state_file, help="the running stack's state file (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    state = read_state(args.state_file)
    if state is None:
        print(f"no dev stack is running ({args.state_file} is missing): start `python -m service dev`", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(state.get("env", {}), indent=2, sort_keys=True))
    else:
        print(f'# the dev stack started by process {state.get("pid")}; use: eval "$(python -m service dev env)"')
        print("\n".join(exports(state)))
    return 0
