"""Events in an API version other than the pinned one (``config.STRIPE_API_VERSION``): counted
per version, and one alert line per version per process, so an endpoint created with the wrong
version is noticed before its differently shaped events are parked as unreadable."""

import logging
import re
import threading

from prometheus_client import Counter

from .alerts import API_VERSION_MISMATCH
from .logs import log

# A label value Stripe could send (2026-10-28.endive, 2020-08-27); anything else is "other".
_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(\.[a-z]{1,20})?")
MISMATCHES = Counter(
    "payments_webhook_api_version_mismatches",
    "Stored events whose api_version differs from the service's pinned Stripe API version.",
    ["api_version"],
)
logger = logging.getLogger("service.alerts")
_alerted: set[str] = set()
_lock = threading.Lock()


def check_api_version(api_version: object, pinned: str, event_id: str) -> bool:
    """Count and (once per version in this process) alert when ``api_version`` is not
    ``pinned``. Returns True for a mismatch. Never raises."""
    if api_version == pinned:
        return False
    label = api_version if isinstance(api_version, str) and _VERSION.fullmatch(api_version) else "other"
    MISMATCHES.labels(label).inc()
    with _lock:
        first = label not in _alerted
        _alerted.add(label)
    if first:
        log(
            logger,
            logging.ERROR,
            "webhook events arrive in another Stripe API version than the pinned one",
            alert=API_VERSION_MISMATCH,
            api_version=label,
            pinned=pinned,
            event_id=event_id,
        )
    return True
