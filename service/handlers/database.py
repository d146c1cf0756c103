"""Database readiness and set-up, for ``/readyz`` and ``flask db init`` (the release phase)."""

from .services import Services


def is_ready(services: Services) -> bool:
    """True when the database answers a ping; never raises."""
    return services.store.ping()


def prepare_database(services: Services) -> str:
    """Create every index and the inbox retention index with the configured period.
    Idempotent; returns what was done to the retention index."""
    settings = services.settings
    return services.store.ensure_indexes(settings.inbox_retention_seconds, settings.journal_retention_seconds)
