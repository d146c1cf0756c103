"""``db init`` (the release phase) and ``products import`` (the only way prices enter)."""

import json

import click
from flask import current_app
from flask.cli import AppGroup

from .. import handlers
from ..errors import ServiceError

db_cli = AppGroup("db", help="Database administration.")
products_cli = AppGroup("products", help="Product catalog.")


@db_cli.command("init")
def db_init() -> None:
    """Create all indexes (idempotent; the release phase runs this). A database that cannot be
    reached is one line on stderr and exit 1."""
    try:
        retention = handlers.prepare_database(handlers.services_of(current_app))
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"indexes ready (inbox retention index {retention})")


@products_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def products_import(path: str) -> None:
    """Upsert the catalog from a JSON list of {sku, name, unit_amount, currency}."""
    try:
        with open(path, encoding="utf-8") as handle:
            entries = json.load(handle)
        count = handlers.import_products(handlers.services_of(current_app), entries)
    except (ValueError, ServiceError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"imported {count} products")
