"""``events list|replay``: the webhook inbox, from the operator's side. Exit status 0 = done,
1 = refused or the replayed event failed again (the output says why), 2 = bad usage."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from .. import handlers
from ..domain.inbox import FAILED, STATES
from ..errors import ServiceError

events_cli = AppGroup("events", help="The webhook inbox.")


@events_cli.command("list")
@click.option("--state", help=f"Only rows in this state: {', '.join(STATES)}.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="At most this many rows.")
def events_list(state: str | None, limit: int) -> None:
    """List inbox rows, newest first."""
    try:
        rows = handlers.list_events(handlers.services_of(current_app), state, limit)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    for row in rows:
        click.echo(
            f"{row['_id']}  {row['type']:<32} {row['state']:<9} attempts={row.get('attempts', 0)} "
            f"order={row.get('order_id') or '-'}  {row.get('last_error') or row.get('outcome') or ''}"
        )
    click.echo(f"{len(rows)} event(s)")


@events_cli.command("replay")
@click.argument("event_id")
def events_replay(event_id: str) -> None:
    """Re-apply one stored event through the webhook's apply path (idempotent)."""
    try:
        outcome = handlers.replay_event(handlers.services_of(current_app), event_id)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"{outcome.event_id}: {outcome.state} ({outcome.detail})")
    sys.exit(0 if outcome.state != FAILED else 1)
