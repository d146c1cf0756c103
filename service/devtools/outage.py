"""``python -m service dev outage --seconds N``: make the database refuse the service's writes
for N seconds, to watch a paid order stay pending and then heal by redelivery.

Uses mongod's ``failCommand`` fail point (SecantusDB honours it with
``--enable-test-commands``), scoped by ``appName`` to the service's connections only (web
and worker): the dev stack names them ``payments-service`` in MONGODB_URI, so this command's
own client, and your own commands run with ``dev env``, can always write. Reads keep
working, so the page can still show the order as pending; every write (the webhook's inbox
row first) fails with a transient error and the webhook answers 503 until Stripe's redelivery finds the database back.
"""

import argparse
import json
import sys
import time

import pymongo

from .secantus import arm_fail_point

SERVICE_APP_NAME = "payments-service"
WRITE_COMMANDS = ["insert", "update", "delete", "findAndModify"]
# HostUnreachable: transient for the app (it retries, then answers 503). Not a "state change"
# code like ShutdownInProgress (91), after which pymongo forgets the server and reads would
# fail too, hiding the pending order from the page.
HOST_UNREACHABLE = 6


def arm(uri, app_name=SERVICE_APP_NAME):
    """Make every write from connections named ``app_name`` fail until ``disarm``."""
    arm_fail_point(
        uri, "alwaysOn", {"failCommands": WRITE_COMMANDS, "appName": app_name, "errorCode": HOST_UNREACHABLE}
    )


def disarm(uri):
    """Switch the fail point off (idempotent)."""
    arm_fail_point(uri, "off", {})


def run(uri, seconds, app_name=SERVICE_APP_NAME, say=print):
    """Arm for ``seconds``, then disarm; disarms even when interrupted (Ctrl-C)."""
    arm(uri, app_name)
    try:
        say(f"database outage: writes from {app_name} fail for {seconds:g} s", flush=True)
        time.sleep(seconds)
    finally:
        disarm(uri)
        say("database outage over: writes work again; Stripe's next redelivery heals the order", flush=True)


def main(argv, state_file):
    """CLI entry: read the running dev stack's state file and run the outage. Exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m service dev outage",
        description="Make the running dev stack's database refuse the service's writes for N seconds (reads "
        "keep working), to watch a paid order stay pending and then turn paid by Stripe's redelivery.",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the outage lasts (default: %(default)g)")
    parser.add_argument(
        "--state-file", default=state_file, help="the running stack's state file (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    try:
        with open(args.state_file, encoding="utf-8") as handle:
            state = json.load(handle)
    except FileNotFoundError:
        print(f"no dev stack is running ({args.state_file} is missing): start `python -m service dev`", file=sys.stderr)
        return 1
    if not state.get("outage_uri"):
        print("the outage needs the dev stack's embedded database (MONGODB_URI was set)", file=sys.stderr)
        return 1
    try:
        run(state["outage_uri"], args.seconds, state.get("app_name", SERVICE_APP_NAME))
    except KeyboardInterrupt:
        return 130
    except pymongo.errors.PyMongoError as exc:
        print(f"could not reach the dev database: {exc}", file=sys.stderr)
        return 1
    return 0
