"""How commands print: ``--json`` output is only JSON on stdout, so log lines go to stderr."""

import json
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
