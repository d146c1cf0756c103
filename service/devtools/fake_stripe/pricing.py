"""What money costs and where it settles: Stripe's fee schedule, the dispute fee, and the
conversion of a foreign-currency charge into the account's settlement currency."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

# Stripe's zero-decimal currencies: their amounts are whole units, not hundredths.
ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
# A fixed rate table: the value of one unit of each currency in US dollars.
USD_VALUE: Mapping[str, str | float] = {
    "usd": "1",
    "eur": "1.08",
    "gbp": "1.27",
    "chf": "1.13",
    "cad": "0.73",
    "aud": "0.66",
    "sek": "0.095",
    "jpy": "0.0067",
}
DAY = 86400


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclasses.dataclass(frozen=True)
class Pricing:
    """Stripe's fees. A charge costs `percent` % of its amount (rounded to the nearest minor
    unit, halves up) plus a fixed part in minor units: `fixed_by_currency[currency]`, else
    `fixed`. Japan's pricing has no fixed part, hence jpy 0. A dispute costs `dispute_fee`
    (minor units of the settlement currency); a won dispute gives it back only where
    `dispute_fee_refunded_on_win` (some regions)."""

    percent: Decimal = Decimal("2.9")
    fixed: int = 30
    fixed_by_currency: Mapping[str, int] = dataclasses.field(default_factory=lambda: {"jpy": 0})
    dispute_fee: int = 1500
    dispute_fee_refunded_on_win: bool = False

    def processing_fee(self, amount: int, currency: str) -> int:
        """The fee on a charge of `amount` minor units of `currency` (the settled amount)."""
        percent_part = _half_up(Decimal(amount) * Decimal(self.percent) / 100)
        return percent_part + self.fixed_by_currency.get(currency, self.fixed)


@dataclasses.dataclass(frozen=True)
class Settlement:
    """Where and when money settles. `currency` None settles each charge in its own currency;
    otherwise every movement is converted at the fixed `usd_value` table. A payment's funds
    become available `available_delay` seconds after it; a charge gets its balance
    transaction `charge_delay` seconds after it succeeds (None: at once); a payout is
    expected `arrival_delay` seconds after it is created."""

    currency: str | None = None
    usd_value: Mapping[str, str | float] = dataclasses.field(default_factory=lambda: dict(USD_VALUE))
    available_delay: int = 0
    charge_delay: float | None = None
    arrival_delay: int = 2 * DAY

    def __post_init__(self) -> None:
        if self.currency is not None and self.currency not in self.usd_value:
            raise ValueError(f"no exchange rate for the settlement currency {self.currency!r}")

    def rate(self, source: str, target: str) -> Decimal:
        """Units of `target` per unit of `source`, to 6 decimal places (ValueError if either
        currency is missing from the table)."""
        missing = [code for code in (source, target) if code not in self.usd_value]
        if missing:
            raise ValueError(f"the fake Stripe has no exchange rate for {', '.join(missing)}")
        rate = Decimal(str(self.usd_value[source])) / Decimal(str(self.usd_value[target]))
        return rate.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)

    def settle(self, amount: int, currency: str) -> tuple[int, str, float | None]:
        """(amount, currency, exchange_rate) of a movement of `amount` minor units of
        `currency` in the balance. Unconverted: the same amount and currency, rate None.
        Converted: amount × rate, scaled between zero-decimal and two-decimal currencies and
        rounded halves up (away from zero for a negative amount), with the rate as a float."""
        target = self.currency or currency
        if target == currency:
            return amount, currency, None
        rate = self.rate(currency, target)
        scale = Decimal(10) ** ((target not in ZERO_DECIMAL) * 2 - (currency not in ZERO_DECIMAL) * 2)
        converted = _half_up(abs(Decimal(amount)) * rate * scale)
        return (converted if amount >= 0 else -converted), target, float(rate)
