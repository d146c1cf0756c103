"""``python -m service dev``: run the local offline stack (see service/devtools/devstack.py)."""

import sys


def main(argv):
    if argv[:1] != ["dev"]:
        print(
            "usage: python -m service dev [--port PORT] [--data-dir DIR] [--workers N] [--state-file F]\n"
            "       python -m service dev outage [--seconds N]",
            file=sys.stderr,
        )
        return 2
    from service.devtools.devstack import main as dev

    return dev(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
