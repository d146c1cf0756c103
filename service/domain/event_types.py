"""The Stripe event types the service handles, derived from the code's own tables, so the
README's ``stripe listen --events`` list, the recommended endpoint configuration, the metric
labels and the reconciler's sweep can never drift from what the code acts on.

Pure. ``tests/test_event_types.py`` compares the README's lists with ``HANDLED_TYPES``.
"""

from typing import Final

from .annotations import NOTE_EVENTS
from .ledger_events import LEDGER_EVENTS
from .orders import EVENT_TRIGGERS
from .radar import RADAR_EVENTS

# Types that change or annotate an order (the webhook's apply path).
ORDER_TYPES: Final = frozenset(EVENT_TRIGGERS) | frozenset(NOTE_EVENTS) | frozenset(RADAR_EVENTS)
# Every type the service acts on: orders, annotations, Radar and the ledger's money events.
HANDLED_TYPES: Final = ORDER_TYPES | LEDGER_EVENTS
# Stripe's Events API accepts at most this many ``types[]`` per list request.
MAX_TYPES_PER_REQUEST: Final = 20


def sweep_groups(types: frozenset[str] = HANDLED_TYPES, size: int = MAX_TYPES_PER_REQUEST) -> list[list[str]]:
    """``types`` sorted and cut into groups of at most ``size``: one Events-API listing each."""
    ordered = sorted(types)
    return [ordered[start : start + size] for start in range(0, len(ordered), size)]
