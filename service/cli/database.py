"""``db init``: the release phase."""

import click
from flask import current_app
from flask.cli import AppGroup

from .. import handlers
from ..errors import ServiceError

db_cli = AppGroup("db", help="Database administration.")


@db_cli.command("init")
def db_init() -> None:
    """Create all indexes (idempotent; the release phase runs this). A database that cannot be
    reached is one line on stderr and exit 1."""
    try:
        retention = handlers.prepare_database(handlers.services_of(current_app))
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"indexes ready (inbox retention index {retention})")
