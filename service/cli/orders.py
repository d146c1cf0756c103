"""CLI for orders: ``orders refund`` (money back, once per idempotency key) and
``orders stuck`` (open orders past their deadline). Exit status 0 = done, 1 = refused or
failed (the message says why; a refund that failed is safe to rerun as is, at any time)."""

import click
from flask import current_app
from flask.cli import AppGroup

from .. import handlers
from ..domain.currency import format_amount
from ..errors import ServiceError
from ..handlers.operations import MAX_AGE_SECONDS
from ..handlers.views import stuck_order_json
from .output import FiniteRange, echo_json, fail, json_mode

orders_cli = AppGroup("orders", help="Orders: refunds, stuck payments, timelines.")


@orders_cli.command("refund")
@click.argument("order_id")
@click.option("--amount", type=click.IntRange(min=1), help="Minor units to refund (default: all that is left).")
@click.option(
    "--key",
    help="Refund key, sent as the Stripe idempotency key and kept in the refund's "
    "metadata (default: derived from the order, the amount and the number of "
    "refunds already recorded, so a rerun, however late, never refunds twice).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check and print what it would do (create, or record a refund Stripe has); change nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout (logs go to stderr).")
def orders_refund(order_id: str, amount: int | None, key: str | None, dry_run: bool, as_json: bool) -> None:
    """Refund a paid order at Stripe; the charge.refunded webhook then annotates the order."""
    services = handlers.services_of(current_app)
    if as_json:
        json_mode(services.settings.log_level)
    try:
        result = handlers.refund_order(services, order_id, amount, key, dry_run=dry_run)
    except ServiceError as exc:
        fail(exc, as_json)
    if as_json:
        echo_json(result)
    elif dry_run:
        how_much = "all that is left" if result["amount"] is None else f"{result['amount']} {result['currency']}"
        what = (
            f"would refund {how_much} of {order_id}"
            if result["action"] == "create"
            else f"would record refund {result['refund_id']} of {how_much}, which Stripe already has, for {order_id}"
        )
        click.echo(f"dry run: {what} (idempotency key {result['idempotency_key']}); nothing was changed")
    else:
        click.echo(
            f"refund {result['refund_id']} of {result['amount']} {result['currency'] or ''} for "
            f"{result['order_id']}: {result['status']} (idempotency key {result['idempotency_key']})"
        )


@orders_cli.command("stuck")
@click.option(
    "--older-than",
    type=FiniteRange(0, MAX_AGE_SECONDS),
    help="Orders created more than SECONDS ago instead of past their deadline.",
)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="At most this many orders.")
@click.option("--json", "as_json", is_flag=True, help="One JSON list on stdout, nothing else.")
def orders_stuck(older_than: float | None, limit: int, as_json: bool) -> None:
    """List open orders past their payment deadline, most overdue first."""
    services = handlers.services_of(current_app)
    if as_json:
        json_mode(services.settings.log_level)
    try:
        orders = handlers.stuck_orders(services, older_than, limit)
    except ServiceError as exc:
        fail(exc, as_json)
    if as_json:
        echo_json([stuck_order_json(order) for order in orders])
        return
    for order in orders:
        click.echo(
            f"{order['_id']}  {order['status']:<14} {format_amount(order['amount'], order['currency'])}  "
            f"expected_by={order['expected_by'].isoformat()}  pi={order.get('payment_intent_id') or '-'}"
        )
    click.echo(f"{len(orders)} stuck order(s)")


@orders_cli.command("show")
@click.argument("order_id")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout (logs go to stderr).")
def orders_show(order_id: str, as_json: bool) -> None:
    """Show an order's timeline: status changes, Stripe events, Stripe calls and ledger entries,
    oldest first, its net position from the ledger, and its order events with their delivery
    to each shop endpoint."""
    services = handlers.services_of(current_app)
    if as_json:
        json_mode(services.settings.log_level)
    try:
        view = handlers.order_timeline(services, order_id)
    except ServiceError as exc:
        fail(exc, as_json)
    if as_json:
        echo_json(view)
        return
    order = view["order"]
    click.echo(f"{order['order_id']}  {order['status']}  {format_amount(order['amount'], order['currency'])}")
    for currency, row in view["position"].items():
        amounts = {key: format_amount(row[key], currency) for key in ("gross", "refunds", "disputes", "fees", "net")}
        click.echo(
            f"  {currency}: gross {amounts['gross']}, refunds {amounts['refunds']}, disputes {amounts['disputes']}, "
            f"fees {amounts['fees']}, net {amounts['net']}"
        )
    for item in view["timeline"]:
        click.echo(f"{item['at']}  {item['what']:<12} {item['detail']}")
    for event in view["order_events"]:
        click.echo(f"order event {event['event_id']}  {event['type']}")
        for row in event["deliveries"] or [{"url": "-", "endpoint": "", "state": "not relayed yet", "attempts": 0}]:
            click.echo(f"  {row['url'] or row['endpoint']}: {row['state']}, {row['attempts']} attempt(s)")
