"""How commands print: ``--json`` output is only JSON on stdout, so log lines go to stderr."""

import json
import math
import sys
from typing import Any

import click

from ..observability import logs


def json_mode(level: str) -> None:
    """Send this process's log lines to stderr, keeping stdout for the JSON document."""
    logs.configure(level, stream=sys.stderr)


def echo_json(value: Any) -> None:
    """Print ``value`` as one indented JSON document (datetimes as ISO 8601)."""
    click.echo(
        json.dumps(value, indent=2, default=lambda obj: obj.isoformat() if hasattr(obj, "isoformat") else str(obj))
    )


class FiniteRange(click.FloatRange):
    """A float option within [min, max] that is also finite (click's FloatRange lets ``nan`` through)."""

    name = "finite float range"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The value as a float, or a usage error (exit 2) naming the option."""
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number
