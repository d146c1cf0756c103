"""How commands print: ``--json`` output is only JSON on stdout (log lines go to stderr, a
failure is ``{"error": {"code", "message"}}``), and progress goes to stderr, only on a terminal."""

import json
import math
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn

import click

from ..errors import ServiceError
from ..observability import logs


def json_mode(level: str) -> None:
    """Send this process's log lines to stderr, keeping stdout for the JSON document."""
    logs.configure(level, stream=sys.stderr)


def echo_json(value: Any) -> None:
    """Print ``value`` as one indented JSON document (datetimes as ISO 8601)."""
    click.echo(
        json.dumps(value, indent=2, default=lambda obj: obj.isoformat() if hasattr(obj, "isoformat") else str(obj))
    )


def fail(exc: ServiceError, as_json: bool, prefix: str = "Error") -> NoReturn:
    """Exit 1 for ``exc``: its JSON error body on stdout with ``--json``, else one line on stderr."""
    if as_json:
        echo_json(exc.to_json())
    else:
        click.echo(f"{prefix}: {exc.message}", err=True)
    sys.exit(1)


def progress_reporter(every: float = 1.0) -> Callable[[str], None] | None:
    """A callable printing progress lines on stderr at most every ``every`` seconds, when
    stderr is a terminal; None otherwise (pipes, files, CI logs stay clean)."""
    if not sys.stderr.isatty():
        return None
    last = [0.0]

    def report(message: str) -> None:
        now = time.monotonic()
        if now - last[0] >= every:
            last[0] = now
            click.echo(f"… {message}", err=True)

    return report


class FiniteRange(click.FloatRange):
    """A float option within [min, max] that is also finite (click's FloatRange lets ``nan`` through)."""

    name = "finite float range"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The value as a float, or a usage error (exit 2) naming the option."""
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number
