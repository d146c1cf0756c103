"""A person paying with an OXXO voucher in a real browser (headless Chromium) from the offline
dev stack: the page says to pay the voucher at the store, links Stripe's hosted voucher with
its expiry, and shows the order paid once the store's payment reaches Stripe."""

from tests.browser.conftest import accessibility_violations, screenshot
from tests.browser.test_checkout_page import wait_status

OXXO = "OXXO voucher: pay cash at a store (Mexican pesos only)"


def choose_oxxo(page, email):
    page.get_by_role("button", name="Add to cart: Taco kit").click()
    page.get_by_role("button", name="Check out").click()
    page.get_by_label(OXXO).check()
    page.get_by_label("Name on the voucher").fill("Ana López")
    page.get_by_label("Email for the voucher").fill(email)


def test_an_oxxo_voucher_is_shown_then_paid_at_the_store(page):
    """awaiting_customer: the status says to pay the voucher, the link is Stripe's hosted
    voucher, the expiry is shown; the simulator's succeed_immediately@ address pays it."""
    choose_oxxo(page, "succeed_immediately@example.com")
    page.get_by_role("button", name="Pay").click()
    wait_status(page, "awaiting_customer")
    status = page.locator("#order-status").inner_text()
    assert status == "Waiting for your payment at the store: pay the voucher before it expires."
    link = page.get_by_role("link", name="Pay the voucher at an OXXO store")
    assert link.get_attribute("href").startswith("https://payments.stripe.com/oxxo/voucher/")
    assert page.locator("#customer-action-expiry").inner_text().startswith("Pay by ")
    assert accessibility_violations(page) == {}
    screenshot(page, "oxxo-voucher")
    wait_status(page, "paid", timeout=30_000)
    assert page.locator("#customer-action").is_hidden()


def test_a_voucher_needs_the_name_and_email_and_pesos_only(page):
    """Without an email the stand-in refuses before calling Stripe; a dollar order confirmed
    with OXXO gets Stripe's currency error, and the order can still be paid by card."""
    choose_oxxo(page, "")
    page.get_by_role("button", name="Pay").click()
    page.locator("#payment-message", has_text="Enter the name and email for the voucher.").wait_for()
    page.goto(page.url.split("?")[0])
    page.get_by_role("button", name="Add to cart: Enamel mug").click()
    page.get_by_role("button", name="Check out").click()
    page.get_by_label(OXXO).check()
    page.get_by_label("Name on the voucher").fill("Ana López")
    page.get_by_label("Email for the voucher").fill("ana@example.com")
    page.get_by_role("button", name="Pay").click()
    page.locator("#payment-message", has_text="Payments with oxxo support the following currencies: mxn").wait_for()
    page.get_by_label("Visa 4242 4242 4242 4242: succeeds").check()
    page.get_by_role("button", name="Pay").click()
    wait_status(page, "paid")
