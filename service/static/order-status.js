// The order as the service reports it: status line, what is happening, and the receipt once
// paid. Polled until its status is final; the page never decides that an order is paid.
import { $, api, element, money } from "./dom.js";

const FINAL = new Set(["paid", "canceled", "needs_review"]);
const POLL_MS = 1000;
const SLOW_POLL_MS = 10000;
const FAST_FOR_MS = 120000;
const SLOW_CONFIRMATION_MS = 6000;
let pollTimer = null;

/** What the page knows beyond the order: when the payment was sent, whether it can pay now. */
export const payment = { sentAt: null, formShown: false };

// What the customer must still do while the order is awaiting_customer (GET /orders' customer_action).
const WAITING = {
  voucher: ["Waiting for your payment at the store: pay the voucher before it expires.", "Pay the voucher"],
  bank_transfer: ["Waiting for your bank transfer.", "See the bank transfer instructions"],
  microdeposits: ["Waiting for you to verify your bank account.", "Verify your bank account"],
  authentication: ["Waiting for you to confirm the payment with your bank.", "Confirm the payment"],
};

function label(order) {
  switch (order.status) {
    case "pending": return payment.sentAt ? "Payment sent: waiting for Stripe's confirmation…" : "Waiting for your payment.";
    case "awaiting_customer": return (WAITING[(order.customer_action || {}).kind] || WAITING.authentication)[0];
    case "processing": return "Processing: your bank is confirming the payment…";
    case "payment_failed": return payment.formShown ? "Payment failed: choose another card above and pay again." : "Payment failed.";
    case "paid": return "Paid. Thank you!";
    case "canceled": return "Canceled: this order can no longer be paid.";
    case "needs_review": return "Needs review: the payment we received does not match this order; we will contact you.";
    default: return order.status;
  }
}

function detail(order) {
  if (order.status === "pending" && payment.sentAt && Date.now() - payment.sentAt > SLOW_CONFIRMATION_MS) {
    return "This is taking longer than usual: the shop may be briefly unavailable. Your payment is safe with "
      + "Stripe and this page updates by itself, so you do not need to pay again.";
  }
  if (order.status === "payment_failed" && !payment.formShown && order.last_payment_error) {
    return `The last attempt was declined: ${order.last_payment_error} Start a new order to try again.`;
  }
  return "";
}

export function showOrder(orderId) {
  $("order-id").textContent = orderId;
  $("order").hidden = false;
}

function renderReceipt(order) {
  const paid = order.status === "paid";
  $("receipt").hidden = !paid;
  if (!paid || $("receipt-lines").children.length) return;
  $("receipt-lines").replaceChildren(...order.items.map((item) => {
    const row = element("tr");
    row.append(element("td", item.name), element("td", String(item.quantity)),
               element("td", money(item.unit_amount * item.quantity, order.currency)));
    return row;
  }));
  $("receipt-total").textContent = money(order.amount, order.currency);
  $("receipt-order-id").textContent = order.order_id;
}

function renderAction(order) {
  const action = order.status === "awaiting_customer" ? order.customer_action : null;
  $("customer-action").hidden = !(action && action.url);
  if (!action || !action.url) return;
  const link = $("customer-action-link");
  if (link.getAttribute("href") !== action.url) link.setAttribute("href", action.url);
  const method = action.method === "oxxo" ? " at an OXXO store" : "";
  link.textContent = (WAITING[action.kind] || WAITING.authentication)[1] + method;
  $("customer-action-expiry").textContent = action.expires_at
    ? `Pay by ${new Date(action.expires_at).toLocaleString()}.` : "";
}

export function renderStatus(order) {
  const status = $("order-status");
  const text = label(order);
  status.dataset.status = order.status;
  if (status.textContent !== text) status.textContent = text;
  $("order-detail").textContent = detail(order);
  renderAction(order);
  renderReceipt(order);
  if (FINAL.has(order.status)) {
    $("payment").hidden = true;
    payment.formShown = false;
  }
  $("start-over").hidden = !(FINAL.has(order.status) || (order.status === "payment_failed" && !payment.formShown));
}

/** Poll GET /orders/<id> every second for two minutes, then every ten seconds, until its status
 *  is final; one poller at a time. ``onOrder`` sees every answer. */
export function poll(orderId, onOrder = () => {}) {
  clearTimeout(pollTimer);
  const started = Date.now();
  const tick = async () => {
    let waited = Date.now() - started;
    try {
      const order = await api(`/orders/${encodeURIComponent(orderId)}`);
      renderStatus(order);
      onOrder(order);
      if (FINAL.has(order.status)) return;
      if (waited >= FAST_FOR_MS && !$("order-detail").textContent) {
        $("order-detail").textContent = "Still waiting for Stripe's confirmation. This page keeps checking; "
          + "you can also come back to this address later.";
      }
    } catch (error) {
      if (error.status === 404) {
        $("order-status").textContent = "We could not find this order.";
        $("start-over").hidden = false;
        return;
      }
      $("order-detail").textContent = `We could not reach the shop to check your order (${error.message}). Trying again…`;
    }
    waited = Date.now() - started;
    pollTimer = setTimeout(tick, waited < FAST_FOR_MS ? POLL_MS : SLOW_POLL_MS);
  };
  tick();
}
