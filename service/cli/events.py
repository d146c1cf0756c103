"""``events list|replay``: the webhook inbox, from the operator's side. Exit status 0 = done,
1 = refused or the replayed event failed again (the output says why), 2 = bad usage."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from .. import handlers
from ..domain.inbox import FAILED, STATES
from ..errors import ServiceError
from ..handlers.views import event_json
from .output import echo_json, fail, json_mode

events_cli = AppGroup("events", help="The webhook inbox.")
JSON_HELP = "One JSON document on stdout (logs go to stderr)."


@events_cli.command("list")
@click.option("--state", help=f"Only rows in this state: {', '.join(STATES)}.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="At most this many rows.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def events_list(state: str | None, limit: int, as_json: bool) -> None:
    """List inbox rows, newest first (never their payloads)."""
    services = _services(as_json)
    try:
        rows = handlers.list_events(services, state, limit)
    except ServiceError as exc:
        fail(exc, as_json)
    if as_json:
        echo_json({"events": [event_json(row) for row in rows]})
        return
    for row in rows:
        click.echo(
            f"{row['_id']}  {row['type']:<32} {row['state']:<9} attempts={row.get('attempts', 0)} "
            f"order={row.get('order_id') or '-'}  {row.get('last_error') or row.get('outcome') or ''}"
        )
    click.echo(f"{len(rows)} event(s)")


@events_cli.command("replay")
@click.argument("event_id")
@click.option("--dry-run", is_flag=True, help="Print what the replay would do to the order; change nothing.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def events_replay(event_id: str, dry_run: bool, as_json: bool) -> None:
    """Re-apply one stored event through the webhook's apply path (idempotent)."""
    services = _services(as_json)
    try:
        if dry_run:
            plan = handlers.preview_replay(services, event_id)
            if as_json:
                echo_json(plan)
            else:
                click.echo(f"dry run: {event_id} ({plan['type']}, {plan['state']}) would {plan['would']}")
            return
        outcome = handlers.replay_event(services, event_id)
    except ServiceError as exc:
        fail(exc, as_json)
    if as_json:
        echo_json(
            {
                "event_id": outcome.event_id,
                "state": outcome.state,
                "detail": outcome.detail,
                "order_id": outcome.order_id,
            }
        )
    else:
        click.echo(f"{outcome.event_id}: {outcome.state} ({outcome.detail})")
    sys.exit(0 if outcome.state != FAILED else 1)


def _services(as_json: bool) -> handlers.Services:
    services = handlers.services_of(current_app)
    if as_json:
        json_mode(services.settings.log_level)
    return services
