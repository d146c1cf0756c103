"""The one currency table: what Stripe accepts as a charge amount in each currency, and how
many decimals an amount in minor units has. Checked before Stripe is asked, so a price or a
cart Stripe would refuse is refused here with a clear reason.

Pure. From Stripe's "Supported currencies" documentation (docs.stripe.com/currencies):
- amounts are integers in the currency's minor unit; zero-decimal currencies have none;
- three-decimal currencies (bhd, jod, kwd, omr, tnd) are accepted only as multiples of 10;
- every currency has a maximum of 99,999,999 minor units (eight digits);
- the minimum charge table below (the equivalent of 0.50 USD elsewhere, which depends on
  the day's rate and is left to Stripe).
``tests/test_currency.py`` checks the table against that documented list.
"""

from typing import Final

MAX_AMOUNT: Final = 99_999_999

ZERO_DECIMAL: Final = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
THREE_DECIMAL: Final = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

# Stripe's minimum charge amount, in minor units, per currency it publishes one for.
MINIMUM_CHARGE: Final[dict[str, int]] = {
    "usd": 50,
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
}

# Presentment currencies Stripe lists (lower case, as the API wants them).
_KNOWN_CODES = """
    usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp
    byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip
    gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt
    lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr
    nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd
    std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar
    zmw
"""
KNOWN: Final = frozenset(_KNOWN_CODES.split())

# Stable codes for each rule (the checkout's 422 codes; the import names them too).
UNKNOWN_CURRENCY: Final = "unknown_currency"
AMOUNT_BELOW_MINIMUM: Final = "amount_below_minimum"
AMOUNT_TOO_LARGE: Final = "amount_too_large"
AMOUNT_NOT_MULTIPLE_OF_10: Final = "amount_not_multiple_of_10"


def decimals(currency: str) -> int:
    """How many decimals an amount in ``currency``'s minor units has: 0, 2 or 3."""
    currency = currency.lower()
    return 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2


def charge_problem(amount: int, currency: str) -> tuple[str, str] | None:
    """(code, sentence) for the first rule Stripe would refuse ``amount`` (minor units) in
    ``currency`` for, or None when it is chargeable."""
    currency = currency.lower()
    if currency not in KNOWN:
        return UNKNOWN_CURRENCY, f"{currency!r} is not a currency Stripe charges in"
    if amount > MAX_AMOUNT:
        return (
            AMOUNT_TOO_LARGE,
            f"{format_amount(amount, currency)} is above Stripe's maximum of {MAX_AMOUNT} minor units",
        )
    minimum = MINIMUM_CHARGE.get(currency, 1)
    if amount < minimum:
        return AMOUNT_BELOW_MINIMUM, (
            f"{format_amount(amount, currency)} is below Stripe's minimum charge of {format_amount(minimum, currency)}"
        )
    if currency in THREE_DECIMAL and amount % 10:
        return AMOUNT_NOT_MULTIPLE_OF_10, (
            f"{format_amount(amount, currency)}: Stripe takes {currency} amounts only as multiples of 10 minor units"
        )
    return None


def format_amount(amount: int, currency: str) -> str:
    """``amount`` minor units as a decimal with the currency's own decimals and its code:
    ``1250 usd`` -> ``12.50 USD``, ``500 jpy`` -> ``500 JPY``, ``1250 kwd`` -> ``1.250 KWD``."""
    places = decimals(currency)
    sign, whole = ("-" if amount < 0 else ""), abs(amount)
    text = str(whole) if places == 0 else f"{whole // 10**places}.{whole % 10**places:0{places}d}"
    return f"{sign}{text} {currency.upper()}"
