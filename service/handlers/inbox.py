"""Operator actions on the webhook inbox: list rows, replay one through the normal path."""
import json

from ..errors import NotFound, ValidationFailed
from .webhook import process_event

STATES = ("received", "applied", "ignored", "failed")


def list_events(services, state=None, limit=50):
    """Inbox rows, newest first (payloads omitted). Raises ValidationFailed for an unknown state."""
    if state is not None and state not in STATES:
        raise ValidationFailed(f"state must be one of {', '.join(STATES)}")
    return services.store.list_events(state, limit)


def replay_event(services, event_id):
    """Re-apply a stored event through the webhook's apply path, whatever its state.

    Idempotent: an event already applied to its order is a no-op. Returns the Outcome;
    raises NotFound, DatabaseUnavailable, EventProcessingFailed.
    """
    row = services.store.get_event(event_id)
    if row is None:
        raise NotFound(f"no stored event {event_id}", code="event_not_found")
    return process_event(services, json.loads(row["payload"]))
