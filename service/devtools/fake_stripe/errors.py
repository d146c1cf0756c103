"""Stripe-shaped API errors: one exception type that knows its HTTP status and JSON body."""

from __future__ import annotations


class FakeStripeError(Exception):
    """An error the fake answers with Stripe's `{"error": {...}}` shape.

    Also raised by the Python driver methods (`FakeStripe.succeed`, ...) when Stripe
    itself would refuse the state change, so tests cannot build impossible histories
    by accident.
    """

    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        store: bool = True,
        extra: dict | None = None,
        headers: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.code = code
        self.param = param
        # Stripe saves an idempotent result only once the endpoint started executing;
        # parameter validation failures are not saved, so a corrected retry may reuse the key.
        self.store = store
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict:
        """Return the JSON body Stripe would send for this error."""
        error: dict = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


def invalid(message: str, *, param: str | None = None, code: str | None = None, store: bool = False) -> FakeStripeError:
    """Return a 400 invalid_request_error (not stored for idempotency unless `store`)."""
    return FakeStripeError(400, "invalid_request_error", message, code=code, param=param, store=store)


def missing(kind: str, object_id: str, param: str) -> FakeStripeError:
    """Return the 404 resource_missing error Stripe gives for an unknown id."""
    return FakeStripeError(
        404,
        "invalid_request_error",
        f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param=param,
        store=False,
    )


def unexpected_state(message: str) -> FakeStripeError:
    """Return the 400 payment_intent_unexpected_state error (stored: the endpoint ran)."""
    return FakeStripeError(400, "invalid_request_error", message, code="payment_intent_unexpected_state", store=True)
