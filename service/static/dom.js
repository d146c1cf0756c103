// Small DOM and HTTP helpers shared by the checkout page's modules.

export const $ = (id) => document.getElementById(id);

export function newKey() {
  // One key per cart: a double click or a retried request returns the same order.
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export function money(amount, currency) {
  // Amounts are in minor units; Intl knows how many decimals each currency has.
  const format = new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() });
  return format.format(amount / 10 ** format.resolvedOptions().maximumFractionDigits);
}

export async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { Accept: "application/json", ...options.headers } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((body.error && body.error.message) || `HTTP ${response.status}`);
  return body;
}

export function element(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  Object.entries(attributes).forEach(([name, value]) => node.setAttribute(name, value));
  return node;
}

export function button(text, label, onClick) {
  const node = element("button", text, { type: "button", "aria-label": label });
  node.addEventListener("click", onClick);
  return node;
}

export function showPageError(message) {
  $("page-error").textContent = message;
  $("page-error").hidden = !message;
}

