"""``reconcile``: one healing pass, a loop until SIGTERM (the Procfile's worker), or the
consolidation report. Exit status 0 = all good, 1 = something failed or is unmatched (the
output names it), 2 = bad usage (click's own)."""

import logging
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import handlers
from ..clock import utcnow
from ..errors import ServiceError
from ..handlers.operations import MAX_AGE_SECONDS
from ..handlers.report import MAX_REPORT_HOURS
from ..observability.logs import log
from .output import FiniteRange, echo_json, json_mode

logger = logging.getLogger("service.reconcile")


@click.command("reconcile")
@click.option(
    "--older-than",
    type=FiniteRange(0, MAX_AGE_SECONDS),
    help="Check open orders older than SECONDS instead of past their deadline.",
)
@click.option(
    "--loop",
    is_flag=True,
    help="Keep running a pass every --interval seconds until SIGTERM; each pass also consolidates the closed "
    "periods (CONSOLIDATION_PERIODS) not yet consolidated.",
)
@click.option(
    "--interval",
    type=FiniteRange(0.1, 86400),
    help="Seconds between passes with --loop (default RECONCILE_INTERVAL_SECONDS).",
)
@click.option("--report", is_flag=True, help="Print the consolidation report instead of healing.")
@click.option("--since", type=click.DateTime(), help="Report window start (UTC); default --hours ago.")
@click.option(
    "--hours",
    type=FiniteRange(1 / 60, MAX_REPORT_HOURS),
    default=24.0,
    show_default=True,
    help="Report window length.",
)
@click.option("--json", "as_json", is_flag=True, help="Report as one JSON document on stdout (logs go to stderr).")
@with_appcontext
def reconcile_cmd(
    older_than: float | None,
    loop: bool,
    interval: float | None,
    report: bool,
    since: datetime | None,
    hours: float,
    as_json: bool,
) -> None:
    """Heal stuck orders, replay unapplied events, sweep Stripe's Events API."""
    services = handlers.services_of(current_app)
    if as_json:
        json_mode(services.settings.log_level)
    if report:
        sys.exit(_report(services, since, hours, as_json))
    if not loop:
        sys.exit(_one_pass(services, older_than))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    every = interval or services.settings.reconcile_interval_seconds
    while not stop.is_set():
        _one_pass(services, older_than, every, consolidate=True)
        stop.wait(every)
    click.echo("reconciler stopped")


def _one_pass(
    services: handlers.Services, older_than: float | None, interval: float | None = None, consolidate: bool = False
) -> int:
    try:
        summary = handlers.reconcile(services, older_than=older_than, interval=interval, consolidate=consolidate)
    except Exception as exc:  # keep the worker loop alive; the log has the traceback
        message = exc.message if isinstance(exc, ServiceError) else f"{type(exc).__name__}: {exc}"
        log(logger, logging.ERROR, "reconcile pass failed", error=message, exc_info=not isinstance(exc, ServiceError))
        click.echo(f"reconcile failed: {message}", err=True)
        return 1
    click.echo(summary.line())
    return 0 if summary.ok else 1


def _report(services: handlers.Services, since: datetime | None, hours: float, as_json: bool) -> int:
    until = utcnow()
    since = since.replace(tzinfo=UTC) if since else until - timedelta(hours=hours)
    try:
        result = handlers.consolidation_report(services, since, until)
    except ServiceError as exc:
        click.echo(f"report failed: {exc.message}", err=True)
        return 1
    if as_json:
        echo_json(result)
    else:
        click.echo(
            f"window {result['since']} .. {result['until']}: {result['succeeded_payment_intents']} "
            f"succeeded PaymentIntents, {result['paid_orders']} paid orders, {result['matched']} matched, "
            f"{len(result['mismatches'])} mismatches"
        )
        for row in result["mismatches"]:
            click.echo(
                f"MISMATCH {row['kind']} order={row['order_id'] or '-'} "
                f"payment_intent={row['payment_intent_id'] or '-'}: {row['detail']}"
            )
    return 0 if result["ok"] else 1
