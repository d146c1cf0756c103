"""The part of a conditional update that records an event for the shop with the change.

MongoDB updates one document atomically, so an event pushed onto the document by the update
that makes the change exists exactly when the change does: a crash before the update leaves
neither, after it both. The update is also conditional on the document's event counter as
it was read, so two changes decided from the same snapshot cannot both take ``seq`` n+1
(the loser re-reads and decides again, as for any lost race).
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..domain.order_events import new_event

Doc = dict[str, Any]


def record_event(
    query: Doc, update: Doc, snapshot: Mapping[str, Any], event_id_of: Any, event_type: str, now: datetime, data: Doc
) -> Doc:
    """Add the event to ``query``/``update`` (in place) and return it. ``snapshot`` is the
    document as read; ``event_id_of(seq)`` names the event (order_event_id / run_event_id)."""
    seq = int(snapshot.get("event_seq") or 0)
    query["event_seq"] = seq if seq else {"$in": [0, None]}  # None: a document from before events
    event = new_event(event_id_of(seq + 1), seq + 1, event_type, now, data)
    update.setdefault("$inc", {})["event_seq"] = 1
    update.setdefault("$push", {})["events"] = event
    update.setdefault("$set", {})["events_pending"] = True
    return event
