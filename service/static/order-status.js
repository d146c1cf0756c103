// The order's status as the service reports it, polled until it is final.
import { $, api } from "./dom.js";

const FINAL = new Set(["paid", "canceled", "needs_review"]);
const POLL_MS = 1000;
const POLL_LIMIT_MS = 120000;
let pollTimer = null;
const LABELS = {
  pending: "Pending: waiting for Stripe to confirm the payment…",
  processing: "Processing: the bank is confirming the payment…",
  payment_failed: "Payment failed",
  paid: "Paid. Thank you!",
  canceled: "Canceled",
  needs_review: "Needs review: the payment we received does not match this order; we will contact you.",
};

export function showOrder(orderId) {
  $("order-id").textContent = orderId;
  $("order").hidden = false;
}

export function renderStatus(order) {
  const status = $("order-status");
  if (status.dataset.status !== order.status) {
    status.dataset.status = order.status;
    status.textContent = LABELS[order.status] || order.status;
  }
  const failed = order.status === "payment_failed" && order.last_payment_error;
  $("order-detail").textContent = failed ? `${order.last_payment_error} You can try another card.` : "";
  $("start-over").hidden = !FINAL.has(order.status);
}

/** Poll GET /orders/<id> every second until a final status (or two minutes); one poller at a time. */
export function poll(orderId) {
  clearTimeout(pollTimer);
  const started = Date.now();
  const tick = async () => {
    try {
      const order = await api(`/orders/${encodeURIComponent(orderId)}`);
      renderStatus(order);
      if (FINAL.has(order.status)) return;
    } catch (error) {
      $("order-detail").textContent = `Could not check the order (${error.message}); trying again…`;
    }
    if (Date.now() - started < POLL_LIMIT_MS) pollTimer = setTimeout(tick, POLL_MS);
    else $("order-detail").textContent = "Still waiting for Stripe: reload this page later to check again.";
  };
  tick();
}

