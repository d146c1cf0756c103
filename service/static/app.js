// Reference checkout: catalog -> cart -> POST /checkout -> Stripe Payment Element ->
// stripe.confirmPayment -> poll GET /orders/<id>. The page never decides that an order is
// paid; it shows what the service says, and the service believes only Stripe's webhooks.
// The same code runs against real Stripe.js and the simulator's stand-in. The order's id is
// kept in the address (?order=…), so a reload shows the same order and can resume paying it.
import { $, api, busy, button, element, money, newKey, saved, showPageError } from "./dom.js";
import { payment, poll, renderStatus, showOrder } from "./order-status.js";

const state = { stripe: null, products: new Map(), cart: new Map(), order: null, elements: null,
                checkoutKey: newKey() };

async function loadCatalog() {
  const list = $("catalog");
  try {
    const { products } = await api("/products");
    products.forEach((product) => state.products.set(product.sku, product));
    list.replaceChildren(...products.map((product) => {
      const item = element("li");
      item.append(element("span", product.name, { class: "name" }),
                  element("span", money(product.unit_amount, product.currency), { class: "price" }),
                  button("Add to cart", `Add to cart: ${product.name}`, () => changeQuantity(product.sku, 1)));
      return item;
    }));
    if (!products.length) list.replaceChildren(element("li", "The catalog is empty."));
  } catch (error) {
    list.replaceChildren(element("li", `The catalog could not be loaded: ${error.message}`));
  } finally {
    list.setAttribute("aria-busy", "false");
    renderCart();
  }
}

function cartTotal() {
  const totals = new Map();
  state.cart.forEach((quantity, sku) => {
    const product = state.products.get(sku);
    totals.set(product.currency, (totals.get(product.currency) || 0) + product.unit_amount * quantity);
  });
  return [...totals].map(([currency, amount]) => money(amount, currency)).join(" + ");
}

function changeQuantity(sku, delta) {
  if (state.order) return; // the order and its PaymentIntent exist: the amount is fixed now
  const quantity = (state.cart.get(sku) || 0) + delta;
  if (quantity > 0) state.cart.set(sku, quantity); else state.cart.delete(sku);
  state.checkoutKey = newKey();
  renderCart();
  const count = [...state.cart.values()].reduce((sum, n) => sum + n, 0);
  const what = `${state.products.get(sku).name} ${delta > 0 ? "added to" : "removed from"} the cart.`;
  $("cart-status").textContent = count ? `${what} Cart: ${count} item${count > 1 ? "s" : ""}, ${cartTotal()}.`
    : `${what} The cart is empty.`;
}

function renderCart() {
  const rows = [...state.cart].map(([sku, quantity]) => {
    const product = state.products.get(sku);
    const row = element("tr");
    const remove = button("Remove", `Remove: ${product.name}`, () => changeQuantity(sku, -quantity));
    remove.disabled = Boolean(state.order);
    const action = element("td");
    action.append(remove);
    row.append(element("td", product.name), element("td", String(quantity)),
               element("td", money(product.unit_amount * quantity, product.currency)), action);
    return row;
  });
  $("cart-lines").replaceChildren(...rows);
  $("cart-total").textContent = cartTotal();
  $("cart").hidden = !rows.length;
  $("cart-empty").hidden = Boolean(rows.length);
  $("checkout-button").disabled = !rows.length || Boolean(state.order) || !state.stripe;
  document.querySelectorAll("#catalog button").forEach((add) => { add.disabled = Boolean(state.order); });
}

function checkoutFailure(error) {
  if (error.status >= 400 && error.status < 500) return `We could not start your checkout: ${error.message}`;
  const why = error.status ? error.message : "The shop could not be reached. Please try again in a moment.";
  return `We could not start your checkout. ${why} Nothing was charged.`;
}

function postCheckout(request, key) {
  return api("/checkout", { method: "POST", body: JSON.stringify(request),
                            headers: { "Content-Type": "application/json", "Idempotency-Key": key } });
}

function mountPayment(order, message = "") {
  state.elements = state.stripe.elements({ clientSecret: order.client_secret });
  state.elements.create("payment").mount("#payment-element");
  $("pay-amount").textContent = money(order.amount, order.currency);
  $("payment-message").textContent = message;
  $("payment").hidden = false;
  payment.formShown = true;
}

async function checkout(event) {
  event.preventDefault();
  showPageError("");
  const restore = busy($("checkout-button"), "Starting checkout…");
  const email = $("email").value.trim();
  const items = [...state.cart].map(([sku, quantity]) => ({ sku, quantity }));
  const request = email ? { items, email } : { items };
  try {
    state.order = await postCheckout(request, state.checkoutKey);
  } catch (error) {
    restore();
    renderCart();
    showPageError(checkoutFailure(error));
    return;
  }
  restore();
  saved.put(state.order.order_id, { key: state.checkoutKey, request });
  history.replaceState(null, "", `?order=${encodeURIComponent(state.order.order_id)}`);
  renderCart();
  $("email").disabled = true;
  mountPayment(state.order);
  $("payment-heading").focus();
}

async function pay(event) {
  event.preventDefault();
  const orderId = state.order.order_id;
  const restore = busy($("pay-button"), "Paying…");
  $("payment-message").textContent = "";
  const returnUrl = new URL(location.pathname, location.origin);
  returnUrl.searchParams.set("order", orderId);
  let result;
  try {
    result = await state.stripe.confirmPayment({ elements: state.elements, redirect: "if_required",
                                                 confirmParams: { return_url: returnUrl.href } });
  } catch (error) {
    result = { error: { message: `The payment could not be sent: ${error.message}` } };
  }
  showOrder(orderId);
  if (result.error) {
    // Not final: the same PaymentIntent accepts another card. The message is shown here only.
    restore();
    $("payment-message").textContent = result.error.message;
    $("payment-message").focus();
  } else {
    payment.sentAt = Date.now();
    payment.formShown = false;
    saved.put(orderId, { ...saved.get(orderId), sentAt: payment.sentAt });
    $("payment").hidden = true;
    $("order-heading").focus();
  }
  poll(orderId);
}

async function resume(orderId) {
  // A reload, or the way back from a redirect-based payment method: show that order again.
  state.order = { order_id: orderId };
  showOrder(orderId);
  const checkoutRequest = saved.get(orderId);
  if (checkoutRequest && checkoutRequest.sentAt) payment.sentAt = checkoutRequest.sentAt;
  try {
    const order = await api(`/orders/${encodeURIComponent(orderId)}`);
    if (checkoutRequest && !checkoutRequest.sentAt && state.stripe && ["pending", "payment_failed"].includes(order.status)) {
      state.order = await postCheckout(checkoutRequest.request, checkoutRequest.key); // the same order again
      const last = order.status === "payment_failed" && order.last_payment_error;
      mountPayment(state.order, last ? `Your last attempt was declined: ${order.last_payment_error}` : "");
    }
    renderStatus(order);
  } catch (error) {
    // The poll below says what it can (or that it cannot reach the shop).
  }
  poll(orderId);
}

function init() {
  const key = document.body.dataset.publishableKey;
  if (typeof Stripe === "function" && key) state.stripe = Stripe(key);
  else showPageError("Payments are unavailable: Stripe.js did not load or no publishable key is configured.");
  $("checkout-form").addEventListener("submit", checkout);
  $("email").addEventListener("input", () => { state.checkoutKey = newKey(); });
  $("payment-form").addEventListener("submit", pay);
  $("start-over").addEventListener("click", () => location.assign(location.pathname));
  const orderId = new URLSearchParams(location.search).get("order");
  if (orderId) resume(orderId);
  loadCatalog();
}

init();
