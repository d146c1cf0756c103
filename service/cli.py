"""Flask CLI commands; each calls the same handlers as HTTP does.

Exit status: 0 on success, 1 on a failure the message explains.
"""
import json

import click
from flask import current_app
from flask.cli import AppGroup

from . import db, handlers
from .errors import ServiceError

db_cli = AppGroup("db", help="Database administration.")
products_cli = AppGroup("products", help="Product catalog.")


def _services():
    return current_app.extensions["payments"]


@db_cli.command("init")
def db_init():
    """Create all indexes (idempotent; the release phase runs this)."""
    retention = db.ensure_indexes(_services().settings.inbox_retention_seconds)
    click.echo(f"indexes ready (inbox retention index {retention})")


@products_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def products_import(path):
    """Upsert the catalog from a JSON list of {sku, name, unit_amount, currency}."""
    try:
        with open(path, encoding="utf-8") as handle:
            entries = json.load(handle)
        count = handlers.import_products(_services(), entries)
    except (ValueError, ServiceError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"imported {count} products")


def register(app):
    """Attach the command groups to ``app``."""
    from . import cli_orders, cli_recovery

    app.cli.add_command(db_cli)
    app.cli.add_command(products_cli)
    cli_recovery.register(app)
    cli_orders.register(app)
