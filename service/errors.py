"""One exception tree for the whole service, mapped to JSON in one place (``http/errors.py``).

    ServiceError                      code, http_status, message
    ├── ClientError                   4xx: the caller can fix the request
    │   ├── BadRequest                400  malformed JSON, wrong shape
    │   ├── WebhookRejected           400  bad/stale signature, malformed event
    │   ├── Unauthorized              401  missing or wrong bearer token (admin API, metrics)
    │   ├── NotFound                  404
    │   ├── RequestTimeout            408  the body did not arrive within BODY_TIMEOUT_SECONDS
    │   ├── IdempotencyConflict       409  same Idempotency-Key, different body
    │   ├── PayloadTooLarge           413
    │   ├── UnsupportedMediaType      415
    │   ├── RateLimited               429  too many requests (``retry_after`` seconds)
    │   └── ValidationFailed          422  well-formed but unacceptable (unknown SKU, ...)
    ├── DependencyError               5xx: something we depend on failed
    │   ├── DatabaseUnavailable       503  transient database failure after bounded retries
    │   ├── PaymentProviderUnavailable 503 Stripe unreachable / 5xx / 429 after bounded retries
    │   ├── SavedFailureReplayed      503  Stripe replays a 5xx saved under our idempotency key
    │   └── PaymentProviderError      502  Stripe refused the request (permanent)
    └── EventProcessingFailed         500  a permanent error while applying a webhook event
        └── EventUnreadable           500  a field the service needs is missing or of the wrong type:
                                           parked at once, naming the field and the event's api_version

A ``DependencyError`` answers with its ``public_message``; its own message stays in the log.
Anything that is not a ``ServiceError`` is a bug: it is logged with its traceback and
answered as 500 ``internal_error`` without details.
"""

from typing import Any


class ServiceError(Exception):
    """Base of every error the service raises on purpose."""

    http_status = 500
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}
        self.context: dict[str, Any] = {}  # ids for the request log line (event_id, order_id); never in the body

    def to_json(self) -> dict[str, Any]:
        """The JSON error body: ``{"error": {"code", "message", ...details}}``."""
        body = {"code": self.code, "message": self.message}
        body.update(self.details)
        return {"error": body}


class ClientError(ServiceError):
    http_status = 400
    code = "bad_request"


class BadRequest(ClientError):
    http_status = 400
    code = "bad_request"


class WebhookRejected(ClientError):
    http_status = 400
    code = "invalid_webhook"


class Unauthorized(ClientError):
    http_status = 401
    code = "unauthorized"


class NotFound(ClientError):
    http_status = 404
    code = "not_found"


class RequestTimeout(ClientError):
    http_status = 408
    code = "request_timeout"


class IdempotencyConflict(ClientError):
    http_status = 409
    code = "idempotency_conflict"


class PayloadTooLarge(ClientError):
    http_status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ClientError):
    http_status = 415
    code = "unsupported_media_type"


class RateLimited(ClientError):
    """Too many requests; ``retry_after`` (seconds) becomes the Retry-After header."""

    http_status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


class ValidationFailed(ClientError):
    http_status = 422
    code = "validation_failed"


class DependencyError(ServiceError):
    """Something we depend on failed. Its ``message`` (which names the operation) is for the
    log; an HTTP answer carries ``public_message`` instead, which a shopper can read."""

    http_status = 503
    code = "dependency_unavailable"
    public_message = "The service is briefly unavailable. Please try again in a moment."


class DatabaseUnavailable(DependencyError):
    http_status = 503
    code = "database_unavailable"


class PaymentProviderUnavailable(DependencyError):
    http_status = 503
    code = "payment_provider_unavailable"
    public_message = "Payments are briefly unavailable. Please try again in a moment."


class SavedFailureReplayed(DependencyError):
    """Stripe answered a 5xx that it saved under the idempotency key and replays for 24 hours
    (``Idempotent-Replayed: true``): retrying with the same key can never succeed, so it is
    not a transient error. ``idempotency_key`` names the key; the caller heals by looking for
    what the first attempt made, then using the key's next generation."""

    http_status = 503
    code = "payment_provider_saved_failure"
    public_message = "Payments are briefly unavailable. Please try again in a moment."

    def __init__(self, message: str, *, idempotency_key: str | None) -> None:
        super().__init__(message)
        self.idempotency_key = idempotency_key


class PaymentProviderError(DependencyError):
    http_status = 502
    code = "payment_provider_error"
    public_message = "The payment provider refused the request."


class EventProcessingFailed(ServiceError):
    http_status = 500
    code = "event_processing_failed"


class EventUnreadable(EventProcessingFailed):
    """A Stripe object lacks a field the service needs, or has it with the wrong type (an event
    of another API version, a hand-made payload). Never read as a default: the event is parked
    (``failed``) with this message, and ``events replay`` redoes it once the cause is fixed."""

    code = "event_unreadable"

    def __init__(self, message: str, *, field: str, api_version: str | None) -> None:
        super().__init__(message, details={"field": field, "api_version": api_version})
        self.field = field
        self.api_version = api_version
