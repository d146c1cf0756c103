// Reference checkout: catalog -> cart -> POST /checkout -> Stripe Payment Element ->
// stripe.confirmPayment -> poll GET /orders/<id>. The page never decides that an order is
// paid; it shows what the service says, and the service believes only Stripe's webhooks.
// The same code runs against real Stripe.js and the simulator's stand-in.
import { $, api, button, element, money, newKey, showPageError } from "./dom.js";
import { poll, showOrder } from "./order-status.js";

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
  }
}

function changeQuantity(sku, delta) {
  if (state.order) return; // the order and its PaymentIntent exist: the amount is fixed now
  const quantity = (state.cart.get(sku) || 0) + delta;
  if (quantity > 0) state.cart.set(sku, quantity); else state.cart.delete(sku);
  state.checkoutKey = newKey();
  renderCart();
}

function renderCart() {
  const totals = new Map();
  const rows = [...state.cart].map(([sku, quantity]) => {
    const product = state.products.get(sku);
    const amount = product.unit_amount * quantity;
    totals.set(product.currency, (totals.get(product.currency) || 0) + amount);
    const row = element("tr");
    const remove = button("Remove", `Remove: ${product.name}`, () => changeQuantity(sku, -quantity));
    remove.disabled = Boolean(state.order);
    const action = element("td");
    action.append(remove);
    row.append(element("td", product.name), element("td", String(quantity)),
               element("td", money(amount, product.currency)), action);
    return row;
  });
  $("cart-lines").replaceChildren(...rows);
  $("cart-total").textContent = [...totals].map(([currency, amount]) => money(amount, currency)).join(" + ");
  $("cart").hidden = !rows.length;
  $("cart-empty").hidden = Boolean(rows.length);
  $("checkout-button").disabled = !rows.length || Boolean(state.order) || !state.stripe;
  document.querySelectorAll("#catalog button").forEach((add) => { add.disabled = Boolean(state.order); });
}

async function checkout(event) {
  event.preventDefault();
  $("checkout-button").disabled = true;
  showPageError("");
  const items = [...state.cart].map(([sku, quantity]) => ({ sku, quantity }));
  const email = $("email").value.trim();
  try {
    state.order = await api("/checkout", {
      method: "POST", body: JSON.stringify(email ? { items, email } : { items }),
      headers: { "Content-Type": "application/json", "Idempotency-Key": state.checkoutKey },
    });
  } catch (error) {
    showPageError(`Checkout failed: ${error.message}`);
    renderCart();
    return;
  }
  renderCart();
  $("email").disabled = true;
  state.elements = state.stripe.elements({ clientSecret: state.order.client_secret });
  state.elements.create("payment").mount("#payment-element");
  $("pay-amount").textContent = money(state.order.amount, state.order.currency);
  $("payment").hidden = false;
  $("payment-heading").focus();
}

async function pay(event) {
  event.preventDefault();
  $("pay-button").disabled = true;
  $("payment-message").textContent = "";
  const returnUrl = new URL(location.pathname, location.origin);
  returnUrl.searchParams.set("order", state.order.order_id);
  let result;
  try {
    result = await state.stripe.confirmPayment({ elements: state.elements, redirect: "if_required",
                                                 confirmParams: { return_url: returnUrl.href } });
  } catch (error) {
    result = { error: { message: `The payment could not be sent: ${error.message}` } };
  }
  showOrder(state.order.order_id);
  if (result.error) {
    // Not final: the same PaymentIntent accepts another card.
    $("payment-message").textContent = result.error.message;
    $("pay-button").disabled = false;
  } else {
    $("payment").hidden = true;
  }
  poll(state.order.order_id);
}

function init() {
  const key = document.body.dataset.publishableKey;
  if (typeof Stripe === "function" && key) state.stripe = Stripe(key);
  else showPageError("Payments are unavailable: Stripe.js did not load or no publishable key is configured.");
  $("checkout-form").addEventListener("submit", checkout);
  $("email").addEventListener("input", () => { state.checkoutKey = newKey(); });
  $("payment-form").addEventListener("submit", pay);
  $("start-over").addEventListener("click", () => location.assign(location.pathname));
  loadCatalog();
  // Back from a redirect-based payment method (Stripe appends to return_url): show that order.
  const resumed = new URLSearchParams(location.search).get("order");
  if (resumed) { showOrder(resumed); poll(resumed); }
}

init();
