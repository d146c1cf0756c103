"""``products list|import|archive|restore``: the catalog, the only source of prices. Exit
status 0 = done, 1 = refused (the message says why), 2 = bad usage."""

import json

import click
from flask import current_app
from flask.cli import AppGroup

from .. import handlers
from ..domain.currency import format_amount
from ..errors import ServiceError, ValidationFailed
from .output import echo_json, fail, json_mode

products_cli = AppGroup("products", help="The product catalog: list, import, archive.")
JSON_HELP = "One JSON document on stdout (logs go to stderr)."


def _services(as_json: bool) -> handlers.Services:
    services = handlers.services_of(current_app)
    if as_json:
        json_mode(services.settings.log_level)
    return services


@products_cli.command("list")
@click.option("--on-sale", is_flag=True, help="Only the products on sale (what the page lists).")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def products_list(on_sale: bool, as_json: bool) -> None:
    """List the products by name, archived ones marked (at most 200)."""
    try:
        products = handlers.list_products(_services(as_json), include_archived=not on_sale)
    except ServiceError as exc:
        fail(exc, as_json)
    if as_json:
        echo_json({"products": products})
        return
    for product in products:
        mark = "  (archived)" if product.get("archived") else ""
        price = format_amount(product["unit_amount"], product["currency"])
        click.echo(f"{product['sku']:<24} {price:>16}  {product['name']}{mark}")
    click.echo(f"{len(products)} product(s)")


@products_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def products_import(path: str, as_json: bool) -> None:
    """Upsert the catalog from a JSON list of {sku, name, unit_amount, currency}; says what it
    created, updated and left unchanged. All or nothing: a bad entry writes nothing."""
    services = _services(as_json)
    try:
        with open(path, encoding="utf-8") as handle:
            entries = json.load(handle)
    except ValueError as exc:
        fail(ValidationFailed(f"{path} is not JSON: {exc}", code="invalid_json"), as_json)
    try:
        result = handlers.import_products(services, entries)
    except ServiceError as exc:
        fail(exc, as_json)
    if as_json:
        echo_json(result)
        return
    parts = [
        f"{kind} {len(skus)}" + (f" ({', '.join(skus)})" if skus and kind != "unchanged" else "")
        for kind, skus in result.items()
    ]
    click.echo("imported: " + ", ".join(parts))


@products_cli.command("archive")
@click.argument("sku")
def products_archive(sku: str) -> None:
    """Stop selling SKU: the page no longer lists it and checkout refuses it; orders that bought
    it keep it. Idempotent."""
    _set_archived(sku, True)


@products_cli.command("restore")
@click.argument("sku")
def products_restore(sku: str) -> None:
    """Sell an archived SKU again. Idempotent."""
    _set_archived(sku, False)


def _set_archived(sku: str, archived: bool) -> None:
    try:
        product = handlers.archive_product(_services(False), sku, archived)
    except ServiceError as exc:
        fail(exc, False)
    click.echo(f"{product['sku']} ({product['name']}): {'archived' if archived else 'on sale'}")
