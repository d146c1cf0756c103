"""Every identifier and free-text field a client or an operator can send, as one pattern
each, always matched against the *whole* string.

Pure. ``valid`` uses ``re.fullmatch``: a ``^...$`` pattern used with ``re.match`` accepts
a final newline (``$`` matches before it), which is how ``"a@b.co\\n"`` once passed as an
email. No pattern in the service is anchored with ``$``; a test keeps it that way.
"""

import re
from typing import Final

SKU: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")
CURRENCY: Final = re.compile(r"[a-z]{3}")
# Idempotency and refund keys: 1-255 visible ASCII characters.
KEY: Final = re.compile(r"[\x21-\x7e]{1,255}")
ORDER_ID: Final = re.compile(r"ord_[0-9a-f]{32}")
# Stripe's object ids are base62 with underscores (``evt_1NG8Du2eZvKYlo2C...``, ``evt_test_...``).
EVENT_ID: Final = re.compile(r"evt_[A-Za-z0-9_]{1,251}")
# ``day:2026-12-01@20261202T010203-1a2b3c`` (store/consolidation.py)
CONSOLIDATION_RUN_ID: Final = re.compile(r"[A-Za-z0-9_.:@-]{1,128}")
# A client's X-Request-Id, echoed only when it is this safe.
REQUEST_ID: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
# local@domain.tld with no whitespace, no control characters and no lone surrogates (JSON
# "\ud800"), which cannot be stored as UTF-8.
_ADDRESS_PART = r"[^@\s\x00-\x1f\x7f\ud800-\udfff]"
EMAIL: Final = re.compile(rf"{_ADDRESS_PART}{{1,64}}@{_ADDRESS_PART}{{1,189}}\.{_ADDRESS_PART}{{1,63}}")


def valid(pattern: re.Pattern[str], value: object) -> bool:
    """True iff ``value`` is a string that ``pattern`` matches from its first to its last
    character (a trailing newline is not ignored)."""
    return isinstance(value, str) and pattern.fullmatch(value) is not None
