"""Writing one Stripe call into the journal: the ``sent`` record before it, the outcome after.

A call that can move money (a POST) never runs without its ``sent`` record: if the journal
cannot be written, the call is not made (DatabaseUnavailable). A read whose record cannot
be written still runs (logged). A completion that cannot be written leaves the record
``sent``: past its expected end the reconciler asks Stripe what happened, which is exactly
the case the journal exists for.
"""

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import stripe

from ..clock import utcnow
from ..domain.journal import FAILED, OK, CallJournal, clean_params, error_summary, moves_money, response_summary
from ..errors import DatabaseUnavailable
from ..observability.logs import log

logger = logging.getLogger("service.stripe")


class CallRecord:
    """The journal record of one logical call (all its attempts)."""

    def __init__(self, journal: CallJournal | None, budget_seconds: float) -> None:
        self.journal, self.budget_seconds = journal, budget_seconds
        self.record_id: str | None = None

    def begin(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        idempotency_key: str | None,
        order_id: str | None,
    ) -> None:
        """Write the ``sent`` record. Raises DatabaseUnavailable for a money-moving call."""
        if self.journal is None:
            return
        now = utcnow()
        record = {
            "method": method,
            "path": path,
            "params": clean_params(dict(params or {})),
            "idempotency_key": idempotency_key,
            "order_id": order_id,
            "money": moves_money(method),
            "started_at": now,
            "expected_end": now + timedelta(seconds=self.budget_seconds),
        }
        try:
            self.record_id = self.journal.begin(record)
        except DatabaseUnavailable:
            if moves_money(method):
                raise
            log(logger, logging.WARNING, "stripe call not journaled", method=method, path=path, order_id=order_id)

    def succeeded(self, result: Any, attempts: int, duration_s: float) -> None:
        """Record the answer: status, request id, attempts, duration, the money fields."""
        response = getattr(result, "last_response", None)
        self._complete(
            {
                "state": OK,
                "http_status": getattr(response, "code", None),
                "request_id": getattr(response, "request_id", None),
                "replayed": bool(response and response.headers.get("idempotent-replayed") == "true"),
                "attempts": attempts,
                "duration_ms": round(duration_s * 1000, 1),
                "response": response_summary(result.to_dict() if hasattr(result, "to_dict") else result),
            }
        )

    def failed(self, exc: stripe.StripeError, attempts: int, duration_s: float) -> None:
        """Record Stripe's refusal or the transport failure."""
        error_type = getattr(getattr(exc, "error", None), "type", None) or type(exc).__name__
        self._complete(
            {
                "state": FAILED,
                "http_status": exc.http_status,
                "request_id": exc.request_id,
                "attempts": attempts,
                "duration_ms": round(duration_s * 1000, 1),
                "error": error_summary(str(error_type), exc.code, exc.user_message, exc.http_status),
            }
        )

    def _complete(self, outcome: Mapping[str, Any]) -> None:
        if self.journal is None or self.record_id is None:
            return
        try:
            self.journal.complete(self.record_id, outcome)
        except DatabaseUnavailable:  # left "sent": the reconciler resolves it past its expected end
            log(logger, logging.ERROR, "stripe call outcome not journaled", call_id=self.record_id)
