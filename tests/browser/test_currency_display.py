"""The checkout page shows amounts as Stripe counts them: the decimals of each currency come
from the server's one currency table (domain/currency.py), not from the browser's own idea."""

from tests.browser.conftest import open_page

SHOW = "async ([amount, code]) => (await import('/static/dom.js')).money(amount, code)"


def test_money_on_the_page_uses_stripes_decimals(browser, dev_stack):
    """500 jpy is 500 yen (no cents), 1250 kwd is 1.250 dinars, 1250 usd is 12.50 dollars, and
    isk (two decimals at Stripe, none in the browser's locale data) is 5.00 for 500."""
    page, problems, close = open_page(browser, dev_stack, "desktop")
    try:
        shown = {
            code: page.evaluate(SHOW, [amount, code])
            for amount, code in [(500, "jpy"), (1250, "kwd"), (1250, "usd"), (500, "isk")]
        }
    finally:
        close()
    assert "500" in shown["jpy"] and "." not in shown["jpy"] and "," not in shown["jpy"], shown
    assert "1.250" in shown["kwd"], shown
    assert "12.50" in shown["usd"], shown
    assert "5.00" in shown["isk"], shown
    assert not problems, problems
