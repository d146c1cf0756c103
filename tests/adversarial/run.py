"""Run the whole adversarial suite against one instance and return its table.

    .venv/bin/python -m tests.adversarial [--size 3] [--idle 200] [--stalled 64]

``--size`` scales the number of attempts of every class (the default pytest run uses 1)."""

import argparse
import sys
import time

from . import inputs, slow, surface, webhooks
from .target import Target

# In the order they run: the log and secret checks come last, so they see everything before.
ATTACKS = [
    webhooks.forged,
    webhooks.bad_headers,
    webhooks.replayed,
    webhooks.signed_garbage,
    inputs.injection,
    inputs.operator_endpoints,
    inputs.framing,
    surface.response_headers,
    surface.floods,
    slow.slow_clients,
    surface.log_forgery,
    surface.secrets,
]


def run(size=1, idle=200, stalled=64):
    """Every attack class at ``size``; returns (tallies, seconds)."""
    started, target = time.monotonic(), Target()
    try:
        tallies = []
        for attack in ATTACKS:
            if attack is slow.slow_clients:
                tallies.append(attack(target, size, idle=idle, stalled=stalled))
            else:
                tallies.append(attack(target, size))
        return tallies, round(time.monotonic() - started, 1)
    finally:
        target.close()


def table(tallies):
    """The suite's table as Markdown lines."""
    lines = [
        "| attack class | what was tried | attempts | held | succeeded |",
        "|---|---|---:|---:|---:|",
    ]
    for tally in tallies:
        name, what, attempts, held, succeeded = tally.row
        lines.append(f"| {name} | {what} | {attempts} | {held} | {succeeded} |")
    total = sum(t.attempts for t in tallies), sum(len(t.succeeded) for t in tallies)
    lines.append(f"| **total** | | **{total[0]}** | **{total[0] - total[1]}** | **{total[1]}** |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.adversarial", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=3)
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--stalled", type=int, default=64)
    args = parser.parse_args(argv)
    tallies, seconds = run(args.size, args.idle, args.stalled)
    print("\n".join(table(tallies)))
    print(
        f"\n{seconds} s; command: python -m tests.adversarial"
        f" --size {args.size} --idle {args.idle} --stalled {args.stalled}"
    )
    for tally in tallies:
        for detail in tally.succeeded[:5]:
            print(f"SUCCEEDED {tally.name}: {detail}")
    return 0 if not any(t.succeeded for t in tallies) else 1


if __name__ == "__main__":
    sys.exit(main())
