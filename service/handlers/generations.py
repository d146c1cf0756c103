"""Creating at Stripe under a fixed idempotency key that a saved 5xx may have spent.

Stripe saves a 5xx under the key once the request began executing and replays it for 24 hours
(``SavedFailureReplayed``). The first attempt may or may not have made the object, so healing
is: look for it (``find``: Stripe's search by ``metadata.order_id``, eventually consistent, or
a PaymentIntent's refund list), and only when nothing is found create again under the key's
next generation (``<key>-g2``, ``-g3`` …; store/keys.py). A search is believed only once
``lag`` has passed since the failure, so an object the failed attempt made is never missed
and duplicated. Two processes healing at once agree on one generation (conditional writes),
and Stripe's idempotency makes their creations one.
"""

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ..errors import SavedFailureReplayed
from ..observability.logs import log
from ..store.keys import key_entry
from .services import Services

logger = logging.getLogger("service.payments")
Doc = dict[str, Any]


def generation_key(base: str, generation: int) -> str:
    """The idempotency key of ``generation`` of fixed key ``base`` (generation 1 is ``base``)."""
    return base if generation <= 1 else f"{base}-g{generation}"


def create_once(
    services: Services,
    order: Mapping[str, Any],
    base: str,
    create: Callable[[str], Doc],
    find: Callable[[], Doc | None],
    now: datetime,
    lag: timedelta,
) -> Doc:
    """``create(key)`` under the order's current generation of ``base``; after a saved 5xx,
    the object ``find`` returns, else ``create`` under the next generation.

    Raises SavedFailureReplayed while ``lag`` has not passed since the saved failure was first
    seen (the order's ``expected_by`` is brought to that time, so the reconciler comes back),
    and PaymentProvider{Unavailable,Error}, DatabaseUnavailable as ``create``/``find`` do.
    Idempotent: at most one object per order and ``base`` whatever the retries and races."""
    generation = int(key_entry(order, base)["generation"])
    try:
        return create(generation_key(base, generation))
    except SavedFailureReplayed:
        entry = services.store.keys.note_saved_failure(order["_id"], base, generation, now, now + lag)
    if entry["generation"] != generation:  # another process already moved on: follow it
        return create(generation_key(base, int(entry["generation"])))
    failed_at: datetime = entry["failed_at"] or now
    if now - failed_at < lag:
        log(logger, logging.WARNING, "saved failure replayed; waiting for search", order_id=order["_id"], key=base)
        raise SavedFailureReplayed(
            f"Stripe replays a saved failure for {generation_key(base, generation)}; searching after {lag}",
            idempotency_key=generation_key(base, generation),
        )
    found = find()
    if found is not None:
        log(logger, logging.INFO, "saved failure healed: found", order_id=order["_id"], key=base, found_id=found["id"])
        return found
    nxt = services.store.keys.advance(order["_id"], base, generation)
    log(logger, logging.WARNING, "saved failure healed: next key", order_id=order["_id"], key=base, generation=nxt)
    return create(generation_key(base, nxt))
