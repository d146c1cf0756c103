"""Consolidation periods: closed hours, days and months in UTC.

Pure. A period is named ``hour:2026-12-02T14``, ``day:2026-12-02`` or ``month:2026-12`` and
covers [start, end). A movement belongs to the period its Stripe ``created`` time falls in,
so a late dispute lands in its own period, not in the one of the payment it disputes.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

HOUR: Final = "hour"
DAY: Final = "day"
MONTH: Final = "month"
TYPES: Final = (HOUR, DAY, MONTH)


@dataclass(frozen=True)
class Period:
    """One period: its type, its name and its bounds [start, end) in UTC."""

    type: str
    key: str
    start: datetime
    end: datetime

    @property
    def start_ts(self) -> int:
        """``start`` as unix seconds (Stripe's ``created`` unit)."""
        return int(self.start.timestamp())

    @property
    def end_ts(self) -> int:
        """``end`` as unix seconds."""
        return int(self.end.timestamp())


def period_containing(period_type: str, at: datetime) -> Period:
    """The period of ``period_type`` that contains ``at`` (naive datetimes are UTC).
    Raises ValueError for an unknown type."""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    if period_type == HOUR:
        start = at.replace(minute=0, second=0, microsecond=0)
        return Period(HOUR, f"hour:{start:%Y-%m-%dT%H}", start, start + timedelta(hours=1))
    if period_type == DAY:
        start = at.replace(hour=0, minute=0, second=0, microsecond=0)
        return Period(DAY, f"day:{start:%Y-%m-%d}", start, start + timedelta(days=1))
    if period_type == MONTH:
        start = at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
        return Period(MONTH, f"month:{start:%Y-%m}", start, end)
    raise ValueError(f"unknown period type {period_type!r}: one of {', '.join(TYPES)}")


def last_closed(period_type: str, now: datetime, delay: timedelta) -> Period:
    """The latest period of ``period_type`` that ended at least ``delay`` before ``now`` (the
    wait for late events and balance transactions)."""
    return previous(period_containing(period_type, now - delay))


def previous(period: Period) -> Period:
    """The period of the same type just before ``period``."""
    return period_containing(period.type, period.start - timedelta(seconds=1))


def parse_types(text: str) -> tuple[str, ...]:
    """``"hour,day,month"`` as a tuple of period types. Raises ValueError naming a bad one."""
    types = tuple(part.strip() for part in text.split(",") if part.strip())
    for period_type in types:
        if period_type not in TYPES:
            raise ValueError(f"unknown period type {period_type!r}: one of {', '.join(TYPES)}")
    return types
