"""The ``flask --app wsgi …`` commands; each calls the same handlers as HTTP does.

Exit status: 0 success, 1 a failure or an unmatched item the output names, 2 bad usage.
"""

from flask import Flask

from . import consolidate, database, events, orders, outbox, products, reconcile


def register(app: Flask) -> None:
    """Attach every command group to ``app``."""
    app.cli.add_command(database.db_cli)
    app.cli.add_command(products.products_cli)
    app.cli.add_command(orders.orders_cli)
    app.cli.add_command(reconcile.reconcile_cmd)
    app.cli.add_command(events.events_cli)
    app.cli.add_command(consolidate.consolidate_cmd)
    app.cli.add_command(outbox.outbox_cli)
