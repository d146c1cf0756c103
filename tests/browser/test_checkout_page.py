"""A person buying in a real browser (headless Chromium) from the offline dev stack, on a
desktop and on a 390×844 phone: the page, Stripe.js (the simulator's stand-in), Stripe's
signed webhooks and the order status, with axe-core checking accessibility on the way."""

import contextlib
import re

from tests.browser.conftest import accessibility_violations, screenshot

VISA = "Visa 4242 4242 4242 4242: succeeds"
DECLINED = "Visa 4000 0000 0000 0002: is declined"
INSUFFICIENT = "Visa 4000 0000 0000 9995: is declined: insufficient funds"
THREE_D_SECURE = "Visa 4000 0027 6000 3184: requires 3D Secure authentication"
DECLINE_MESSAGE = "Your card was declined."
INSUFFICIENT_MESSAGE = "Your card has insufficient funds."
AUTH_FAILED = "We are unable to authenticate your payment method."


def start_payment(page, product, card):
    """Put one product in the cart, check out, and choose a test card (not yet paying)."""
    page.get_by_role("button", name=f"Add to cart: {product}").click()
    page.get_by_role("button", name="Check out").click()
    page.get_by_label(card).check()


def wait_status(page, expected, timeout=15_000):
    page.locator(f"#order-status[data-status={expected}]").wait_for(timeout=timeout)


def visible_text(page):
    return page.locator("body").inner_text()


def focused_id(page):
    return page.evaluate("document.activeElement && document.activeElement.id")


@contextlib.contextmanager
def held(page, pattern):
    """Hold the browser's requests matching ``pattern`` until the block ends (to see a
    button's working state), then let them through."""
    waiting = []
    page.route(pattern, lambda route: waiting.append(route))  # noqa: PLW0108 (Playwright needs a Python function)
    try:
        yield
    finally:
        # Playwright runs the route callback only inside its own calls, never during a
        # time.sleep: wait in the page, or a request sent after the block's last call is missed.
        for _ in range(200):
            if waiting:
                break
            page.wait_for_timeout(50)
        assert waiting, f"no request matched {pattern} within 10 s"
        for route in waiting:
            route.continue_()
        page.unroute(pattern)


def luminance(rgb):
    channels = [value / 255 for value in rgb]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first, second):
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def small_tap_targets(page):
    """Visible buttons, inputs and the card choices' labels less than 44 px high."""
    return page.evaluate(
        """() => [...document.querySelectorAll('button, input, #payment-element label')]
             .filter((node) => node.offsetParent !== null && !(node.type === 'radio'))
             .map((node) => [node.id || node.textContent.trim(), node.getBoundingClientRect().height])
             .filter(([, height]) => height < 44)"""
    )


def test_a_shopper_pays_and_gets_a_receipt(page):
    """The cart is announced; Check out and Pay show that they are working; once paid the page
    shows a receipt (items, total, order id) and keeps the order in its address; focus ring
    and tap targets are large enough; axe-core finds nothing."""
    assert accessibility_violations(page) == {}
    add = page.get_by_role("button", name="Add to cart: Organic T-shirt")
    add.click()
    add.click()
    assert page.locator("#cart-status").inner_text() == "Organic T-shirt added to the cart. Cart: 2 items, $50.00."
    with held(page, "**/checkout"):
        page.get_by_role("button", name="Check out").click()
        working = page.locator("#checkout-button")
        assert working.inner_text() == "Starting checkout…" and working.get_attribute("aria-busy") == "true"
    page.get_by_label(VISA).check()
    order_id = re.search(r"order=(ord_[0-9a-f]{32})", page.url).group(1)
    assert small_tap_targets(page) == []
    page.keyboard.press("Shift+Tab")  # keyboard focus shows the ring (:focus-visible)
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    assert contrast([int(n) for n in re.findall(r"\d+", ring)[:3]], (255, 255, 255)) >= 3, ring
    assert accessibility_violations(page) == {}
    screenshot(page, "receipt-before-pay")
    with held(page, "**/confirm"):
        page.get_by_role("button", name="Pay $50.00").click()
        assert page.locator("#pay-button").inner_text() == "Paying…"
    wait_status(page, "paid")
    assert page.locator("#order-status").inner_text() == "Paid. Thank you!"
    receipt = page.locator("#receipt")
    assert receipt.is_visible()
    assert page.locator("#receipt-lines tr").inner_text().split("\t") == ["Organic T-shirt", "2", "$50.00"]
    assert page.locator("#receipt-total").inner_text() == "$50.00"
    assert page.locator("#receipt-order-id").inner_text() == order_id
    assert focused_id(page) == "order-heading"
    assert accessibility_violations(page) == {}


def test_each_decline_shows_one_message_and_keeps_focus_on_it(page):
    """A decline's message appears once, focused; a second decline replaces it (no old message
    anywhere); paying with another card then leaves no decline message at all."""
    start_payment(page, "Enamel mug", DECLINED)
    page.get_by_role("button", name="Pay").click()
    wait_status(page, "payment_failed")
    assert page.locator("#payment-message").inner_text() == DECLINE_MESSAGE
    assert focused_id(page) == "payment-message"
    assert visible_text(page).count(DECLINE_MESSAGE) == 1
    assert page.locator("#order-status").inner_text() == "Payment failed: choose another card above and pay again."
    screenshot(page, "declined-card")
    page.get_by_label(INSUFFICIENT).check()
    page.get_by_role("button", name="Pay").click()
    page.locator("#payment-message", has_text=INSUFFICIENT_MESSAGE).wait_for()
    page.wait_for_timeout(1500)  # a poll or two of GET /orders after the webhook
    text = visible_text(page)
    assert text.count(INSUFFICIENT_MESSAGE) == 1 and DECLINE_MESSAGE not in text
    assert focused_id(page) == "payment-message"
    assert accessibility_violations(page) == {}
    page.get_by_label(VISA).check()
    page.get_by_role("button", name="Pay").click()
    wait_status(page, "paid")
    text = visible_text(page)
    assert INSUFFICIENT_MESSAGE not in text and DECLINE_MESSAGE not in text


def test_a_failed_3d_secure_check_says_so_once_and_a_retry_can_authenticate(page):
    """requires_action: failing the bank's challenge is one focused message; completing it on
    the next try pays."""
    start_payment(page, "Sticker pack", THREE_D_SECURE)
    page.get_by_role("button", name="Pay").click()
    dialog = page.get_by_role("dialog", name="3D Secure authentication (simulated)")
    dialog.get_by_role("button", name="Fail authentication").click()
    page.locator("#payment-message", has_text=AUTH_FAILED).wait_for()
    assert focused_id(page) == "payment-message"
    page.wait_for_timeout(1500)
    assert visible_text(page).count(AUTH_FAILED) == 1
    page.get_by_role("button", name="Pay").click()
    screenshot(page, "3d-secure-challenge")
    dialog.get_by_role("button", name="Complete authentication").click()
    wait_status(page, "paid")


def test_the_order_survives_a_reload_and_can_still_be_paid(page):
    """After a decline, a reload shows the same order with the payment form and the last
    decline (once); a failing status poll keeps the status and says so; paid, a reload shows
    the receipt."""
    start_payment(page, "Screen-printed poster", DECLINED)
    page.get_by_role("button", name="Pay").click()
    wait_status(page, "payment_failed")
    order_id = page.locator("#order-id").inner_text()
    page.reload()
    assert page.locator("#order-id").inner_text() == order_id
    page.locator("#payment-message", has_text=f"Your last attempt was declined: {DECLINE_MESSAGE}").wait_for()
    assert visible_text(page).count(DECLINE_MESSAGE) == 1
    page.route("**/orders/**", lambda route: route.abort())
    page.locator("#order-detail", has_text="We could not reach the shop to check your order").wait_for()
    assert page.locator("#order-status").inner_text() == "Payment failed: choose another card above and pay again."
    page.unroute("**/orders/**")
    page.get_by_label(VISA).check()
    page.get_by_role("button", name="Pay").click()
    wait_status(page, "paid")
    page.reload()
    wait_status(page, "paid")
    assert page.locator("#receipt-order-id").inner_text() == order_id
    assert page.locator("#receipt-total").inner_text() == "$39.00"


def test_during_an_outage_checkout_fails_kindly_and_a_payment_says_what_is_happening(pages, dev_stack):
    """`dev outage`, on a desktop and a phone at once: a checkout gets a message a shopper can
    read (and can be retried); a payment's webhook answers 503, the page says the payment was
    sent and, after a while, that it is taking longer; Stripe's redelivery after the outage
    makes it paid."""
    for page in pages.values():
        page.get_by_role("button", name="Add to cart: Enamel mug").click()
    outage = dev_stack.outage(seconds=1.5)
    try:
        for page in pages.values():
            page.get_by_role("button", name="Check out").click()
        for page in pages.values():
            error = page.locator("#page-error")
            error.wait_for()
            assert error.inner_text() == (
                "We could not start your checkout. The service is briefly unavailable. "
                "Please try again in a moment. Nothing was charged."
            )
            assert focused_id(page) == "page-error" and page.locator("#checkout-button").is_enabled()
    finally:
        assert outage.wait(30) == 0, outage.stdout.read()
    for page in pages.values():
        page.get_by_role("button", name="Check out").click()
        page.get_by_label(VISA).check()
    outage = dev_stack.outage(seconds=7)
    try:
        for page in pages.values():
            page.get_by_role("button", name="Pay").click()
        for page in pages.values():
            status = page.locator("#order-status")
            status.filter(has_text="Payment sent: waiting for Stripe's confirmation…").wait_for()
            page.locator("#order-detail", has_text="This is taking longer than usual").wait_for(timeout=10_000)
            assert status.get_attribute("data-status") == "pending"
            screenshot(page, "outage-pending")
        assert '"path":"/webhooks/stripe","status":503' in dev_stack.logs()
        for page in pages.values():
            wait_status(page, "paid", timeout=30_000)
    finally:
        assert outage.wait(30) == 0, outage.stdout.read()
