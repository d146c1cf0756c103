"""A person buying in a real browser (headless Chromium) from the offline dev stack: the
page, Stripe.js (the simulator's stand-in), Stripe's signed webhooks and the order status."""

import time

from tests.browser.conftest import screenshot
from tests.support.helpers import wait_for

VISA = "Visa 4242 4242 4242 4242: succeeds"
DECLINED = "Visa 4000 0000 0000 0002: is declined"
THREE_D_SECURE = "Visa 4000 0027 6000 3184: requires 3D Secure authentication"


def start_payment(page, product, card):
    """Put one product in the cart, check out, and choose a test card (not yet paying)."""
    page.get_by_role("button", name=f"Add to cart: {product}").click()
    page.get_by_role("button", name="Check out").click()
    page.get_by_label(card).check()


def status(page):
    return page.locator("#order-status").get_attribute("data-status")


def wait_status(page, expected, timeout=15_000):
    page.locator(f"#order-status[data-status={expected}]").wait_for(timeout=timeout)


def test_paying_with_the_succeeding_card_shows_the_order_paid(page):
    """Catalog -> cart -> Payment Element -> confirmPayment -> webhook -> the page shows paid."""
    start_payment(page, "Organic T-shirt", VISA)
    screenshot(page, "succeeding-card-before-pay")
    page.get_by_role("button", name="Pay $25.00").click()
    wait_status(page, "paid")
    assert page.locator("#order-status").inner_text() == "Paid. Thank you!"


def test_a_declined_card_shows_stripes_message_and_a_retry_with_a_good_card_pays(page):
    """The decline message comes from Stripe; the same order then pays with another card."""
    start_payment(page, "Enamel mug", DECLINED)
    page.get_by_role("button", name="Pay").click()
    wait_status(page, "payment_failed")
    assert page.get_by_role("alert").filter(has_text="Your card was declined.").is_visible()
    assert "Your card was declined." in page.locator("#order-detail").inner_text()
    screenshot(page, "declined-card")
    order_id = page.locator("#order-id").inner_text()
    page.get_by_label(VISA).check()
    page.get_by_role("button", name="Pay").click()
    wait_status(page, "paid")
    assert page.locator("#order-id").inner_text() == order_id


def test_a_card_requiring_3d_secure_pays_once_the_customer_authenticates(page):
    """requires_action: the stand-in shows the bank's challenge; completing it pays."""
    start_payment(page, "Sticker pack", THREE_D_SECURE)
    page.get_by_role("button", name="Pay").click()
    dialog = page.get_by_role("dialog", name="3D Secure authentication (simulated)")
    dialog.wait_for()
    screenshot(page, "3d-secure-challenge")
    dialog.get_by_role("button", name="Complete authentication").click()
    wait_status(page, "paid")


def test_during_a_database_outage_the_order_stays_pending_then_redelivery_makes_it_paid(page, dev_stack):
    """`dev outage`: the webhook answers 503, the page shows pending; after the outage the
    simulator's redelivery (Stripe-like backoff) lands and the page shows paid."""
    start_payment(page, "Screen-printed poster", VISA)
    outage = dev_stack.outage(seconds=4)
    try:
        page.get_by_role("button", name="Pay").click()
        wait_for(lambda: '"path":"/webhooks/stripe","status":503' in dev_stack.logs(), timeout=10)
        time.sleep(1.5)  # several polls of GET /orders while the database refuses the webhook
        assert status(page) == "pending"
        screenshot(page, "outage-pending")
        wait_status(page, "paid", timeout=30_000)
    finally:
        assert outage.wait(30) == 0, outage.stdout.read()
