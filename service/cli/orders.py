"""CLI for orders: ``orders refund`` (money back, once per idempotency key) and
``orders stuck`` (open orders past their deadline). Exit status 0 = done, 1 = refused or
failed (the message says why; a refund that failed is safe to rerun as is, at any time)."""

import json

import click
from flask import current_app
from flask.cli import AppGroup

from .. import handlers
from ..errors import ServiceError
from ..handlers.views import stuck_order_json

orders_cli = AppGroup("orders", help="Orders: refunds and stuck payments.")


@orders_cli.command("refund")
@click.argument("order_id")
@click.option("--amount", type=click.IntRange(min=1), help="Minor units to refund (default: all that is left).")
@click.option(
    "--key",
    help="Refund key, sent as the Stripe idempotency key and kept in the refund's "
    "metadata (default: derived from the order, the amount and the number of "
    "refunds already recorded, so a rerun, however late, never refunds twice).",
)
def orders_refund(order_id: str, amount: int | None, key: str | None) -> None:
    """Refund a paid order at Stripe; the charge.refunded webhook then annotates the order."""
    try:
        result = handlers.refund_order(handlers.services_of(current_app), order_id, amount, key)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(
        f"refund {result['refund_id']} of {result['amount']} {result['currency'] or ''} for "
        f"{result['order_id']}: {result['status']} (idempotency key {result['idempotency_key']})"
    )


@orders_cli.command("stuck")
@click.option("--older-than", type=float, help="Orders created more than SECONDS ago instead of past their deadline.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="At most this many orders.")
@click.option("--json", "as_json", is_flag=True, help="One JSON list on stdout, nothing else.")
def orders_stuck(older_than: float | None, limit: int, as_json: bool) -> None:
    """List open orders past their payment deadline, most overdue first."""
    try:
        orders = handlers.stuck_orders(handlers.services_of(current_app), older_than, limit)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    if as_json:
        click.echo(json.dumps([stuck_order_json(order) for order in orders], indent=2))
        return
    for order in orders:
        click.echo(
            f"{order['_id']}  {order['status']:<14} {order['amount']} {order['currency']}  "
            f"expected_by={order['expected_by'].isoformat()}  pi={order.get('payment_intent_id') or '-'}"
        )
    click.echo(f"{len(orders)} stuck order(s)")
