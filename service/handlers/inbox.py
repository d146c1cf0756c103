"""Operator actions on the webhook inbox: list rows, replay one through the normal path."""

import json
from typing import Any

from ..domain.identifiers import EVENT_ID, valid
from ..domain.inbox import STATES
from ..errors import NotFound, ValidationFailed
from .results import Outcome
from .services import Services
from .webhook import process_event


def list_events(services: Services, state: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Inbox rows, newest first (payloads omitted). Raises ValidationFailed for an unknown state."""
    if state is not None and state not in STATES:
        raise ValidationFailed(f"state must be one of {', '.join(STATES)}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise ValidationFailed("limit must be an integer from 1 to 1000", code="invalid_limit")
    return services.store.inbox.list_rows(state, limit)


def replay_event(services: Services, event_id: str) -> Outcome:
    """Re-apply a stored event through the webhook's apply path, whatever its state.

    Idempotent: an event already applied to its order is a no-op. Returns the Outcome;
    raises NotFound, DatabaseUnavailable, EventProcessingFailed.
    """
    if not valid(EVENT_ID, event_id):  # not an event id: never stored, and not echoed
        raise NotFound("no such stored event", code="event_not_found")
    row = services.store.inbox.get(event_id)
    if row is None:
        raise NotFound(f"no stored event {event_id}", code="event_not_found")
    return process_event(services, json.loads(row["payload"]))
