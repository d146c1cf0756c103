"""The journal of outbound Stripe calls: what a record holds, and what it must never hold.

Pure. A record is written before a call (``sent``) and completed after it (``ok`` or
``failed``); one still ``sent`` past its ``expected_end`` is a call whose outcome we do not
know, which the reconciler resolves by asking Stripe (``resolved``). Parameters are kept
as sent, less anything secret; of a response only the money-relevant fields are kept, never
the body (a PaymentIntent's body carries its ``client_secret``).
"""

from collections.abc import Mapping
from typing import Any, Final, Protocol

SENT: Final = "sent"
OK: Final = "ok"
FAILED: Final = "failed"
RESOLVED: Final = "resolved"
STATES: Final = (SENT, OK, FAILED, RESOLVED)

# The response fields a record keeps: enough to know what moved, nothing that authorises anything.
RESPONSE_FIELDS: Final = ("id", "object", "status", "amount", "amount_received", "currency", "payment_intent")
_SECRET_KEYS: Final = ("secret", "password", "api_key", "token")  # client_secret included
_MAX_TEXT: Final = 500


class CallJournal(Protocol):
    """Where the gateway records its calls (implemented by the store's journal)."""

    def begin(self, record: Mapping[str, Any]) -> str:
        """Store a ``sent`` record before the call; returns its id. Raises DatabaseUnavailable."""
        ...

    def complete(self, record_id: str, outcome: Mapping[str, Any]) -> None:
        """Record the call's outcome on its record. Raises DatabaseUnavailable."""
        ...


def moves_money(method: str) -> bool:
    """True for calls that can create or change an object at Stripe (every POST): such a
    call never runs without its ``sent`` record."""
    return method.upper() == "POST"


def clean_params(params: Any) -> Any:
    """``params`` as they may be stored: secret-named keys dropped, long strings cut, nested
    structures kept."""
    if isinstance(params, Mapping):
        return {
            str(key): clean_params(value)
            for key, value in params.items()
            if not any(secret in str(key).lower() for secret in _SECRET_KEYS)
        }
    if isinstance(params, (list, tuple)):
        return [clean_params(value) for value in params]
    if isinstance(params, str):
        return params[:_MAX_TEXT]
    return params


def response_summary(obj: Any) -> dict[str, Any]:
    """The money-relevant fields of a Stripe response (a list: its object and count)."""
    if not isinstance(obj, Mapping):
        return {}
    if obj.get("object") in ("list", "search_result"):
        data = obj.get("data")
        return {"object": obj["object"], "count": len(data) if isinstance(data, list) else None}
    summary = {name: obj[name] for name in RESPONSE_FIELDS if name in obj}
    if isinstance(summary.get("payment_intent"), Mapping):
        summary["payment_intent"] = summary["payment_intent"].get("id")
    return summary


def error_summary(error_type: str, code: str | None, message: str | None, status: int | None) -> dict[str, Any]:
    """What a failed call records: Stripe's error type, code, message (cut) and HTTP status."""
    return {"type": error_type, "code": code, "message": (message or "")[:_MAX_TEXT], "http_status": status}
