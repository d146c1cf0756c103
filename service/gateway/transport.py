"""One Stripe HTTP call under the retry policy: classification of Stripe's errors into
transient and permanent, one log line and one metric per attempt, plain-dict results.

stripe-python's own retries are off (``max_network_retries`` 0), so this is the only
retry layer. The response body is never logged, so no ``client_secret`` reaches the log.
"""

import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import stripe
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_none,
)

from ..config import Settings
from ..domain.journal import CallJournal
from ..errors import PaymentProviderError, PaymentProviderUnavailable, SavedFailureReplayed
from ..observability import metrics
from ..observability.logs import log
from .journaling import CallRecord

if TYPE_CHECKING:
    from stripe import RequestOptions

logger = logging.getLogger("service.stripe")
Request = Callable[["RequestOptions"], Any]


def is_saved_failure(exc: BaseException) -> bool:
    """True for a 5xx that Stripe replays from its idempotency store (``Idempotent-Replayed:
    true``): the same key will get the same failure for 24 hours."""
    if not isinstance(exc, stripe.StripeError) or (exc.http_status or 0) < 500:
        return False
    return (exc.headers or {}).get("idempotent-replayed") == "true"


def is_transient(exc: BaseException) -> bool:
    """True for Stripe errors worth retrying: Stripe's own ``Stripe-Should-Retry`` advice when
    given, else connection errors, 429, 409 (a concurrent request with the same key) and 5xx
    (except a replayed saved 5xx, which the same key can never get past)."""
    if not isinstance(exc, stripe.StripeError) or is_saved_failure(exc):
        return False
    advice = (exc.headers or {}).get("stripe-should-retry")
    if advice in ("true", "false"):
        return bool(advice == "true")
    if isinstance(exc, stripe.APIConnectionError):
        return bool(getattr(exc, "should_retry", True))
    return isinstance(exc, stripe.RateLimitError) or (exc.http_status or 0) >= 500 or exc.http_status == 409


def _outcome(exc: stripe.StripeError) -> str:
    if isinstance(exc, stripe.APIConnectionError) or exc.http_status is None:
        return "connection_error"
    if isinstance(exc, stripe.RateLimitError) or exc.http_status == 429:
        return "rate_limited"
    return "server_error" if exc.http_status >= 500 else "client_error"


class Transport:
    """Runs one logical Stripe call with bounded retries of transient errors only."""

    def __init__(self, settings: Settings, journal: CallJournal | None = None) -> None:
        self._journal = journal
        # How long one logical call may take, all attempts included: a journal record still
        # "sent" after this is a call whose outcome we do not know.
        self.budget_seconds = settings.stripe_retry_max_seconds + settings.stripe_timeout_seconds + 5
        wait = (
            wait_exponential(multiplier=settings.retry_backoff_seconds, max=4)
            if settings.retry_backoff_seconds
            else wait_none()
        )
        self._retrying = Retrying(
            stop=stop_after_attempt(settings.stripe_retry_attempts)
            | stop_after_delay(settings.stripe_retry_max_seconds),
            wait=wait,
            retry=retry_if_exception(is_transient),
            reraise=True,
        )

    def call(
        self,
        method: str,
        path: str,
        order_id: str | None,
        idempotency_key: str | None,
        request: Request,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``request(options)`` under the policy; every attempt sends the same idempotency key.
        Returns the result as a dict. Raises PaymentProviderUnavailable when the budget is
        spent on transient errors, SavedFailureReplayed when Stripe replays a 5xx saved under
        the key, PaymentProviderError when Stripe refuses."""
        opts: RequestOptions = {"idempotency_key": idempotency_key} if idempotency_key else {}
        attempt = 0
        record = CallRecord(self._journal, self.budget_seconds)
        record.begin(method, path, params, idempotency_key, order_id)
        started_call = time.monotonic()

        def once() -> Any:
            nonlocal attempt
            attempt += 1
            started = time.monotonic()
            fields = {
                "method": method,
                "path": path,
                "order_id": order_id,
                "idempotency_key": idempotency_key,
                "attempt": attempt,
            }
            try:
                result = request(opts)
            except stripe.StripeError as exc:
                metrics.record_stripe_call(method, path, _outcome(exc), time.monotonic() - started)
                log(
                    logger,
                    logging.WARNING,
                    "stripe call failed",
                    **fields,
                    status=exc.http_status,
                    error=type(exc).__name__,
                    stripe_code=exc.code,
                    request_id=exc.request_id,
                    duration_ms=round((time.monotonic() - started) * 1000, 1),
                )
                raise
            metrics.record_stripe_call(method, path, "ok", time.monotonic() - started)
            response = result.last_response
            log(
                logger,
                logging.INFO,
                "stripe call",
                **fields,
                status=response.code,
                request_id=response.request_id,
                replayed=response.headers.get("idempotent-replayed") == "true" or None,
                duration_ms=round((time.monotonic() - started) * 1000, 1),
            )
            return result

        try:
            result = self._retrying(once)
        except stripe.StripeError as exc:
            record.failed(exc, attempt, time.monotonic() - started_call)
            if is_saved_failure(exc):
                raise SavedFailureReplayed(
                    f"Stripe replays a saved {exc.http_status} for idempotency key {idempotency_key}",
                    idempotency_key=idempotency_key,
                ) from exc
            if is_transient(exc):
                raise PaymentProviderUnavailable("payment provider unavailable, try again") from exc
            raise PaymentProviderError(
                f"payment provider refused the request: {exc.user_message}",
                details={"stripe_code": exc.code},
            ) from exc
        record.succeeded(result, attempt, time.monotonic() - started_call)
        return dict(result.to_dict())
