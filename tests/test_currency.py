"""Currency rules, before Stripe refuses: the one table (domain/currency.py) against Stripe's
documented lists, `products import` naming each SKU and rule, checkout's 422 without a Stripe
call, and amounts shown with the currency's own decimals on the page and in reports."""

import json

import pytest

from service.domain import currency
from service.domain.catalog import validate_catalog
from service.errors import ValidationFailed
from tests.support.helpers import checkout

# docs.stripe.com/currencies, "Zero-decimal currencies" and "Three-decimal currencies".
DOCUMENTED_ZERO_DECIMAL = "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF"
DOCUMENTED_THREE_DECIMAL = "BHD JOD KWD OMR TND"
# docs.stripe.com/currencies#minimum-and-maximum-charge-amounts, in the currency's units.
DOCUMENTED_MINIMUMS = {
    "USD": "0.50", "AED": "2.00", "AUD": "0.50", "BGN": "1.00", "BRL": "0.50", "CAD": "0.50", "CHF": "0.50",
    "CZK": "15.00", "DKK": "2.50", "EUR": "0.50", "GBP": "0.30", "HKD": "4.00", "HUF": "175.00", "INR": "0.50",
    "JPY": "50", "MXN": "10", "MYR": "2", "NOK": "3.00", "NZD": "0.50", "PLN": "2.00", "RON": "2.00",
    "SEK": "3.00", "SGD": "0.50", "THB": "10",
}  # fmt: skip


def test_zero_and_three_decimal_currencies_are_stripes_documented_lists():
    """The table's zero- and three-decimal sets are exactly Stripe's documented ones."""
    assert {code.lower() for code in DOCUMENTED_ZERO_DECIMAL.split()} == currency.ZERO_DECIMAL
    assert {code.lower() for code in DOCUMENTED_THREE_DECIMAL.split()} == currency.THREE_DECIMAL
    assert currency.ZERO_DECIMAL | currency.THREE_DECIMAL <= currency.KNOWN


@pytest.mark.parametrize("code", sorted(DOCUMENTED_MINIMUMS))
def test_each_minimum_is_stripes_documented_amount_in_minor_units(code):
    """The documented minimum (in units) times 10**decimals is the table's value in minor units."""
    units = DOCUMENTED_MINIMUMS[code]
    whole, _, fraction = units.partition(".")
    places = currency.decimals(code)
    minor = int(whole) * 10**places + int((fraction or "0").ljust(places, "0")[:places] or 0)
    assert currency.MINIMUM_CHARGE[code.lower()] == minor
    assert set(currency.MINIMUM_CHARGE) == {c.lower() for c in DOCUMENTED_MINIMUMS}


@pytest.mark.parametrize(
    ("amount", "code", "rule"),
    [
        (49, "usd", "amount_below_minimum"),
        (50, "usd", None),
        (29, "gbp", "amount_below_minimum"),
        (49, "jpy", "amount_below_minimum"),
        (50, "jpy", None),
        (100_000_000, "usd", "amount_too_large"),
        (99_999_999, "usd", None),
        (1255, "kwd", "amount_not_multiple_of_10"),
        (1250, "kwd", None),
        (500, "xyz", "unknown_currency"),
        (1, "isk", None),  # no published minimum: Stripe's own conversion decides
    ],
)
def test_charge_rules(amount, code, rule):
    """Each rule (minimum, maximum, multiple of 10, known code) and its boundary."""
    problem = currency.charge_problem(amount, code)
    assert (problem and problem[0]) == rule


@pytest.mark.parametrize(
    ("amount", "code", "shown"),
    [
        (1250, "usd", "12.50 USD"),
        (500, "jpy", "500 JPY"),
        (1250, "kwd", "1.250 KWD"),
        (-5, "eur", "-0.05 EUR"),
        (7, "krw", "7 KRW"),
    ],
)
def test_format_amount_uses_the_currencys_own_decimals(amount, code, shown):
    """Reports show zero-, two- and three-decimal amounts as Stripe counts them."""
    assert currency.format_amount(amount, code) == shown


def test_validate_catalog_names_every_refused_sku_and_its_rule():
    """Three bad prices in one file: one error naming all three SKUs with their rules; nothing passes."""
    entries = [
        {"sku": "ok", "name": "Fine", "unit_amount": 500, "currency": "usd"},
        {"sku": "cheap", "name": "Sticker", "unit_amount": 20, "currency": "gbp"},
        {"sku": "dinar", "name": "Lamp", "unit_amount": 1255, "currency": "kwd"},
        {"sku": "odd", "name": "Coin", "unit_amount": 500, "currency": "xyz"},
    ]
    with pytest.raises(ValidationFailed) as caught:
        validate_catalog(entries)
    refused = {(row["sku"], row["rule"]) for row in caught.value.details["refused"]}
    assert refused == {
        ("cheap", "amount_below_minimum"),
        ("dinar", "amount_not_multiple_of_10"),
        ("odd", "unknown_currency"),
    }
    assert all(sku in caught.value.message for sku in ("cheap", "dinar", "odd"))


def test_products_import_refuses_the_file_and_names_each_sku(app, tmp_path, raw_db):
    """The CLI exits 1, prints each SKU with its rule (text and --json), and writes nothing."""
    catalog = tmp_path / "catalog.json"
    catalog.write_text(
        json.dumps(
            [
                {"sku": "yen-cheap", "name": "Gum", "unit_amount": 10, "currency": "jpy"},
                {"sku": "huge", "name": "Boat", "unit_amount": 100_000_000, "currency": "usd"},
                {"sku": "fine", "name": "Cup", "unit_amount": 800, "currency": "usd"},
            ]
        )
    )
    runner = app.test_cli_runner()
    text = runner.invoke(args=["products", "import", str(catalog)])
    assert text.exit_code == 1
    assert "yen-cheap: amount_below_minimum" in text.output and "huge: amount_too_large" in text.output
    as_json = runner.invoke(args=["products", "import", str(catalog), "--json"])
    error = json.loads(as_json.stdout)["error"]
    assert error["code"] == "price_refused" and [row["sku"] for row in error["refused"]] == ["yen-cheap", "huge"]
    assert raw_db.products.count_documents({"_id": {"$in": ["yen-cheap", "huge", "fine"]}}) == 0


def test_checkout_below_the_minimum_is_422_without_calling_stripe(client, fake_stripe, raw_db):
    """A product stored before the rule (20 cents) alone: 422 amount_below_minimum, no order, no Stripe call."""
    raw_db.products.insert_one({"_id": "sticker", "name": "Sticker", "unit_amount": 20, "currency": "usd"})
    calls = fake_stripe.count("POST", "/v1/payment_intents")
    response = checkout(client, [{"sku": "sticker", "quantity": 2}])
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "amount_below_minimum" and "0.50 USD" in error["message"]
    assert raw_db.orders.count_documents({}) == 0 and fake_stripe.count("POST", "/v1/payment_intents") == calls
    assert checkout(client, [{"sku": "sticker", "quantity": 3}]).status_code == 201  # 0.60 USD is enough


def test_a_zero_decimal_order_keeps_its_minor_units_and_reports_show_them(app, client, services):
    """A 500 JPY product: the order amount is 500 (not 50000), `orders show` prints 500 JPY."""
    from service.handlers import import_products

    import_products(services, [{"sku": "tea", "name": "Tea", "unit_amount": 500, "currency": "jpy"}])
    body = checkout(client, [{"sku": "tea", "quantity": 1}]).get_json()
    assert (body["amount"], body["currency"]) == (500, "jpy")
    shown = app.test_cli_runner().invoke(args=["orders", "show", body["order_id"]])
    assert "500 JPY" in shown.output.splitlines()[0]
    listed = app.test_cli_runner().invoke(args=["products", "list"])
    assert "500 JPY" in listed.output and "20.00 USD" in listed.output


def test_the_page_gets_the_decimals_from_the_one_table(client):
    """GET / carries every non-two-decimal currency's decimals for the page's money()."""
    html = client.get("/").get_data(as_text=True)
    start = html.index('data-currency-decimals="') + len('data-currency-decimals="')
    table = json.loads(html[start : html.index('"', start)].replace("&#34;", '"'))
    assert table["jpy"] == 0 and table["kwd"] == 3 and "usd" not in table
    assert set(table) == set(currency.ZERO_DECIMAL | currency.THREE_DECIMAL)
