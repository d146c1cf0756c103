"""``reconcile``: one healing pass, a loop until SIGTERM (the Procfile's worker), or the
consolidation report. Exit status 0 = all good, 1 = something failed or is unmatched (the
output names it), 2 = bad usage (click's own)."""

import logging
import signal
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import handlers
from ..clock import utcnow
from ..errors import ServiceError
from ..handlers import outbox_worker
from ..handlers.operations import MAX_AGE_SECONDS
from ..handlers.report import MAX_REPORT_HOURS
from ..observability.logs import log
from .output import FiniteRange, echo_json, fail, json_mode, progress_reporter

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
    "periods (CONSOLIDATION_PERIODS) not yet consolidated, and order events are delivered to SHOP_WEBHOOK_URLS "
    "alongside (as `outbox deliver --loop`).",
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
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print what one pass would do (heal, cancel at Stripe, create, replay, recover); change nothing.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="The pass, plan or report as one JSON document on stdout (logs on stderr)."
)
@with_appcontext
def reconcile_cmd(
    older_than: float | None,
    loop: bool,
    interval: float | None,
    report: bool,
    since: datetime | None,
    hours: float,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Heal stuck orders, replay unapplied events, sweep Stripe's Events API. Progress goes to
    stderr when it is a terminal."""
    services = handlers.services_of(current_app)
    if loop and (as_json or dry_run or report):
        raise click.UsageError("--loop runs the worker: it takes neither --json, --dry-run nor --report")
    if as_json:
        json_mode(services.settings.log_level)
    if report:
        sys.exit(_report(services, since, hours, as_json))
    if dry_run:
        sys.exit(_plan(services, older_than, as_json))
    if not loop:
        sys.exit(_one_pass(services, older_than, as_json=as_json))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    every = interval or services.settings.reconcile_interval_seconds
    outbox_worker.start(services, stop)  # order events to the shop, in threads of their own
    # One lease owner for the worker's life: a sweep lease this worker could not release (the
    # database died mid-sweep) is renewed by its own next pass instead of blocking sweeps for
    # the lease's whole term.
    owner = uuid.uuid4().hex
    while not stop.is_set():
        _one_pass(services, older_than, every, consolidate=True, owner=owner)
        stop.wait(every)
    click.echo("reconciler stopped")


def _one_pass(
    services: handlers.Services,
    older_than: float | None,
    interval: float | None = None,
    consolidate: bool = False,
    as_json: bool = False,
    owner: str | None = None,
) -> int:
    try:
        progress = None if consolidate else progress_reporter()  # the worker loop (consolidate) stays quiet
        summary = handlers.reconcile(
            services, older_than=older_than, owner=owner, interval=interval, consolidate=consolidate, progress=progress
        )
    except Exception as exc:  # keep the worker loop alive; the log has the traceback
        message = exc.message if isinstance(exc, ServiceError) else f"{type(exc).__name__}: {exc}"
        log(logger, logging.ERROR, "reconcile pass failed", error=message, exc_info=not isinstance(exc, ServiceError))
        if as_json:
            echo_json({"error": {"code": getattr(exc, "code", "internal_error"), "message": message}})
        else:
            click.echo(f"reconcile failed: {message}", err=True)
        return 1
    if as_json:
        echo_json({"ok": summary.ok, **vars(summary), "line": summary.line()})
    else:
        click.echo(summary.line())
    return 0 if summary.ok else 1


def _plan(services: handlers.Services, older_than: float | None, as_json: bool) -> int:
    try:
        plan = handlers.plan_reconcile(services, older_than=older_than, progress=progress_reporter())
    except ServiceError as exc:
        fail(exc, as_json, "dry run failed")
    if as_json:
        echo_json(plan)
        return 0
    click.echo("dry run: nothing was changed")
    for order in plan["orders"]:
        things = "; ".join(order["would"]) or order.get("error", "")
        click.echo(
            f"{order['order_id']} ({order['status']}, {order['payment_intent_id'] or 'no PaymentIntent'}): {things}"
        )
    click.echo(f"would check {len(plan['orders'])} stuck order(s)")
    for what, ids in (
        ("replay inbox event(s)", plan["replay"]),
        ("recover event(s) missing from the inbox", plan["recover"]),
    ):
        click.echo(f"would {what}: {len(ids)}" + (f" ({', '.join(ids)})" if ids else ""))
    click.echo(
        f"{plan['ledger_pending']} event(s) wait for the ledger; "
        f"{plan['unknown_calls']} Stripe call(s) with an unknown outcome would be resolved"
    )
    return 0


def _report(services: handlers.Services, since: datetime | None, hours: float, as_json: bool) -> int:
    until = utcnow()
    since = since.replace(tzinfo=UTC) if since else until - timedelta(hours=hours)
    try:
        result = handlers.consolidation_report(services, since, until)
    except ServiceError as exc:
        fail(exc, as_json, "report failed")
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
