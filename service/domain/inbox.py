"""The webhook inbox's row states: one row per Stripe event id, in exactly one of these.

received ──apply ok──▶ applied | ignored        (finished: never applied again)
    │
    └──N failed attempts──▶ failed               (parked: replayed by the reconciler
                                                  and ``events replay``; may still
                                                  become applied or ignored)
"""

from typing import Final

RECEIVED: Final = "received"
APPLIED: Final = "applied"
IGNORED: Final = "ignored"
FAILED: Final = "failed"
STATES: Final = (RECEIVED, APPLIED, IGNORED, FAILED)
# A finished row is never applied again; a duplicate delivery of it is answered at once.
FINISHED: Final = (APPLIED, IGNORED)
