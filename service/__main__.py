"""``python -m service dev``: run the local offline stack (see service/devtools/devstack.py).

The developer's entry point only: production runs the Procfile's gunicorn and flask commands.
"""

import sys

USAGE = (
    "usage: python -m service dev [--host HOST] [--port PORT] [--workers N] [--data-dir DIR] [--state-file F]\n"
    "       python -m service dev env [--json]\n"
    "       python -m service dev outage [--seconds N]\n"
    "\n"
    "dev          run the whole stack offline (database, Stripe simulator, gunicorn, worker); --help for options\n"
    "dev env      print the running dev stack's settings as shell exports, for flask and curl commands\n"
    "dev outage   make the dev stack's database refuse writes for a while, to watch redelivery heal an order\n"
)


def main(argv: list[str]) -> int:
    """Dispatch to the dev stack; returns the exit status (0 for --help, 2 for bad usage)."""
    if argv[:1] in (["-h"], ["--help"]):
        sys.stdout.write(USAGE)
        return 0
    if argv[:1] != ["dev"]:
        sys.stderr.write(USAGE)
        return 2
    from service.devtools.devstack import main as dev

    return int(dev(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
