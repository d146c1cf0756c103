"""``consolidate``: match one closed period's money flows, Stripe's books against ours.

Exit status 0 = everything matched, 1 = something did not (each item is listed) or the
period is being consolidated by another worker, 2 = bad usage.
"""

import sys
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import handlers
from ..clock import utcnow
from ..domain.currency import format_amount
from ..domain.periods import TYPES
from ..errors import ServiceError
from ..handlers.ratelimit import RateLimiter
from ..handlers.views import consolidation_json
from .output import echo_json, fail, json_mode, progress_reporter


@click.command("consolidate")
@click.option(
    "--period", "period_type", type=click.Choice(TYPES), default="day", show_default=True, help="Period type."
)
@click.option(
    "--at",
    type=click.DateTime(),
    help="A UTC time inside the period (default: the last closed period). A period not yet ended is "
    "consolidated as far as it goes, its run marked provisional.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout (logs go to stderr).")
@with_appcontext
def consolidate_cmd(period_type: str, at: datetime | None, as_json: bool) -> None:
    """Consolidate one period: every balance transaction matched 1:1 with a ledger entry (missing
    ones posted and reported), every payment with a paid order, every automatic payout with
    what it settles; totals per currency and kind. Each run is kept."""
    services = handlers.services_of(current_app)
    if as_json:
        json_mode(services.settings.log_level)
    limiter = RateLimiter(services.settings.stripe_read_rate, progress_reporter())
    limiter.begin("consolidation")
    pace = limiter.wait
    try:
        run = handlers.consolidate_period(services, period_type, at, utcnow(), pace)
    except ServiceError as exc:
        fail(exc, as_json, "consolidation failed")
    if run is None:
        fail(ServiceError("another worker is consolidating this period; try again later", code="busy"), as_json)
    if as_json:
        echo_json(consolidation_json(run))
    else:
        _print(run)
    sys.exit(0 if run.get("ok") else 1)


def _print(run: dict) -> None:
    counts = run.get("counts") or {}
    verdict = "all matched" if run.get("ok") else f"{run.get('unmatched')} unmatched"
    if run.get("provisional"):
        verdict += " (provisional: the period has not ended)"
    click.echo(
        f"{run['period']} ({run['_id']}): {verdict}; "
        f"{counts.get('balance_transactions', 0)} balance transactions, {counts.get('matched', 0)} matched, "
        f"{counts.get('healed', 0)} posted now; {counts.get('payments', 0)} payments "
        f"({counts.get('payments_matched', 0)} matched); {counts.get('payouts', 0)} payouts"
    )
    for currency, kinds in (run.get("totals") or {}).items():
        parts = [
            f"{kind} {format_amount(row['amount'], currency)} (fee {format_amount(row['fee'], currency)})"
            for kind, row in kinds.items()
            if kind != "net"
        ]
        click.echo(f"  {currency}: {', '.join(parts)}; net {format_amount(kinds['net'], currency)}")
    for currency, row in (counts.get("not_ours") or {}).items():
        click.echo(f"  not ours ({currency}): {row['count']} payments, {format_amount(row['amount'], currency)}")
    for item in run.get("items") or []:
        keys = ("order_id", "balance_transaction_id", "payout_id")
        ids = " ".join(f"{key}={item[key]}" for key in keys if item.get(key))
        click.echo(f"UNMATCHED {item['kind']} {ids}: {item['detail']}")
