"""What a PaymentIntent in ``requires_action`` waits for: the customer's next step, read from
Stripe's ``next_action``.

Pure. With ``automatic_payment_methods`` a real account may offer vouchers (OXXO, Boleto,
Konbini, Multibanco), bank transfers (``customer_balance``) and bank debits whose account is
verified by microdeposits; each waits on the customer for days, with the page Stripe hosts
for it (``hosted_voucher_url``, ``hosted_instructions_url``, ``hosted_verification_url``).
A card's 3D Secure step waits minutes. The result never holds a ``client_secret``.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

VOUCHER: Final = "voucher"
BANK_TRANSFER: Final = "bank_transfer"
MICRODEPOSITS: Final = "microdeposits"
AUTHENTICATION: Final = "authentication"  # 3D Secure or another redirect: minutes, like a card
KINDS: Final = (VOUCHER, BANK_TRANSFER, MICRODEPOSITS, AUTHENTICATION)

# next_action.type -> (kind, payment method, the URL's field). Vouchers carry their own expiry.
_NEXT_ACTIONS: Final[dict[str, tuple[str, str | None, str | None]]] = {
    "oxxo_display_details": (VOUCHER, "oxxo", "hosted_voucher_url"),
    "boleto_display_details": (VOUCHER, "boleto", "hosted_voucher_url"),
    "konbini_display_details": (VOUCHER, "konbini", "hosted_voucher_url"),
    "multibanco_display_details": (VOUCHER, "multibanco", "hosted_voucher_url"),
    "display_bank_transfer_instructions": (BANK_TRANSFER, "customer_balance", "hosted_instructions_url"),
    "verify_with_microdeposits": (MICRODEPOSITS, "us_bank_account", "hosted_verification_url"),
    "redirect_to_url": (AUTHENTICATION, None, "url"),
    "use_stripe_sdk": (AUTHENTICATION, None, None),
}


@dataclass(frozen=True)
class CustomerWait:
    """The customer's next step: ``kind`` (one of KINDS), the payment ``method`` when the
    next action names one, Stripe's hosted ``url`` for it, its ``expires_at`` (unix seconds,
    vouchers only) and, for a bank transfer, the ``amount_remaining`` still to be sent."""

    kind: str
    method: str | None = None
    url: str | None = None
    expires_at: int | None = None
    amount_remaining: int | None = None

    @property
    def days_long(self) -> bool:
        """True for the waits that last days (vouchers, transfers, microdeposits)."""
        return self.kind != AUTHENTICATION

    def as_dict(self) -> dict[str, Any]:
        """The wait as stored on the order and shown by ``GET /orders/<id>``."""
        return {
            "kind": self.kind,
            "method": self.method,
            "url": self.url,
            "expires_at": self.expires_at,
            "amount_remaining": self.amount_remaining,
        }


def customer_wait(pi: Mapping[str, Any]) -> CustomerWait | None:
    """What ``pi`` waits for, or None when it is not in ``requires_action`` or has no
    ``next_action``. An unknown next action type is an AUTHENTICATION-like wait without URL
    (a short one: nothing tells us it lasts days). Never raises for a malformed next action."""
    if pi.get("status") != "requires_action":
        return None
    action = pi.get("next_action")
    if not isinstance(action, Mapping):
        return None
    kind, method, url_field = _NEXT_ACTIONS.get(str(action.get("type")), (AUTHENTICATION, None, None))
    details = action.get(str(action.get("type")))
    details = details if isinstance(details, Mapping) else {}
    url = details.get(url_field) if url_field else None
    # OXXO names its expiry ``expires_after``; Boleto, Konbini and Multibanco ``expires_at``.
    expiry = details.get("expires_at", details.get("expires_after"))
    remaining = details.get("amount_remaining")
    return CustomerWait(
        kind=kind,
        method=method,
        url=url if isinstance(url, str) else None,
        expires_at=expiry if kind == VOUCHER and _is_int(expiry) else None,
        amount_remaining=remaining if _is_int(remaining) else None,
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
