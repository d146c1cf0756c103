"""``outbox deliver|replay``: order events to the shop's endpoints. Exit status 0 = done,
1 = a failure (the output says what: a delivery that failed or died, or the database), 2 = bad usage."""

import signal
import sys
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from .. import handlers
from ..errors import ServiceError
from ..handlers import outbox, outbox_worker
from .output import FiniteRange, echo_json, fail, json_mode

outbox_cli = AppGroup("outbox", help="Order events to the shop: delivery passes and replay of dead letters.")
JSON_HELP = "One JSON document on stdout (logs go to stderr)."


@outbox_cli.command("deliver")
@click.option(
    "--loop", is_flag=True, help="Keep delivering (the relay and each endpoint in a loop of its own) until SIGTERM."
)
@click.option(
    "--interval",
    type=FiniteRange(0.05, 3600),
    help="Seconds between passes with --loop (default OUTBOX_INTERVAL_SECONDS).",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def outbox_deliver(loop: bool, interval: float | None, as_json: bool) -> None:
    """Relay new order events and run one delivery pass to every endpoint (SHOP_WEBHOOK_URLS).
    Exits 1 when a delivery failed or was dead-lettered in this pass."""
    services = _services(as_json)
    if loop and as_json:
        raise click.UsageError("--loop runs the worker: it takes no --json")
    if loop:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        outbox_worker.start(services, stop, interval)
        if not services.settings.shop_endpoints:
            click.echo("no SHOP_WEBHOOK_URLS configured: relaying order events to the feed only", err=True)
        stop.wait()
        click.echo("outbox stopped")
        return
    try:
        result = outbox.deliver(services)
    except ServiceError as exc:
        fail(exc, as_json, "delivery pass failed")
    names = {e.endpoint_id: e.display for e in services.settings.shop_endpoints}
    ok = not any(counts["failed"] or counts["dead"] for counts in result.endpoints.values())
    if as_json:
        echo_json(
            {
                "ok": ok,
                "relayed": result.relayed,
                "endpoints": [{"endpoint": k, "url": names.get(k), **v} for k, v in sorted(result.endpoints.items())],
            }
        )
    else:
        click.echo(f"relayed {result.relayed} event(s)")
        for key, counts in sorted(result.endpoints.items()):
            click.echo(f"{names.get(key, key)}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    sys.exit(0 if ok else 1)


@outbox_cli.command("replay")
@click.option("--event", "event_id", help="Replay this event's dead deliveries.")
@click.option("--order", "order_id", help="Replay the dead deliveries of this order's events.")
@click.option("--all", "everything", is_flag=True, help="Replay every dead delivery.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def outbox_replay(event_id: str | None, order_id: str | None, everything: bool, as_json: bool) -> None:
    """Put dead-lettered deliveries back to pending with a fresh retry budget (the next
    delivery pass sends them). Give exactly one of --event, --order, --all. Idempotent."""
    if sum(bool(x) for x in (event_id, order_id, everything)) != 1:
        raise click.UsageError("give exactly one of --event ID, --order ID or --all")
    services = _services(as_json)
    try:
        count = outbox.replay(services, event_id=event_id, order_id=order_id)
    except ServiceError as exc:
        fail(exc, as_json, "replay failed")
    if as_json:
        echo_json({"replayed": count})
    else:
        click.echo(f"{count} dead deliver{'y' if count == 1 else 'ies'} back to pending")


def _services(as_json: bool) -> handlers.Services:
    services = handlers.services_of(current_app)
    if as_json:
        json_mode(services.settings.log_level)
    return services
