"""The one clock: every timestamp the service stores or compares comes from ``utcnow``."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (MongoDB stores milliseconds, UTC)."""
    return datetime.now(UTC)
