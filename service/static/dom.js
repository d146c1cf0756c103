// Small DOM and HTTP helpers shared by the checkout page's modules.

export const $ = (id) => document.getElementById(id);

export function newKey() {
  // One key per cart: a double click or a retried request returns the same order.
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

let decimalsTable;

export function money(amount, currency) {
  // Amounts are in Stripe's minor units. How many decimals a currency has is Stripe's rule
  // (zero-decimal jpy, krw, ...; three-decimal kwd, bhd, ...; else two), which the server
  // sends from its one currency table; Intl's own idea differs for some (e.g. isk).
  decimalsTable ??= JSON.parse(document.body.dataset.currencyDecimals || "{}");
  const digits = decimalsTable[currency.toLowerCase()] ?? 2;
  const format = new Intl.NumberFormat(undefined, {
    style: "currency",
    currency: currency.toUpperCase(),
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return format.format(amount / 10 ** digits);
}

/** fetch + JSON; a failure throws an Error with the API's message, ``status`` and ``code``. */
export async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { ...options, headers: { Accept: "application/json", ...options.headers } });
  } catch (error) {
    throw Object.assign(new Error("the shop could not be reached"), { status: 0, code: "network" });
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = (body.error && body.error.message) || `HTTP ${response.status}`;
    throw Object.assign(new Error(message), { status: response.status, code: body.error && body.error.code });
  }
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

/** Show that ``node`` is working (disabled, busy, ``text``); returns a function that restores it. */
export function busy(node, text) {
  const before = node.innerHTML;
  node.disabled = true;
  node.setAttribute("aria-busy", "true");
  node.textContent = text;
  return () => {
    node.innerHTML = before;
    node.removeAttribute("aria-busy");
    node.disabled = false;
  };
}

export function showPageError(message) {
  $("page-error").textContent = message;
  $("page-error").hidden = !message;
  if (message) $("page-error").focus();
}

/** The checkout a reload can resume: its Idempotency-Key and request body, per order. */
export const saved = {
  put(orderId, checkout) { try { sessionStorage.setItem(`checkout:${orderId}`, JSON.stringify(checkout)); } catch (e) { /* private mode */ } },
  get(orderId) { try { return JSON.parse(sessionStorage.getItem(`checkout:${orderId}`)); } catch (e) { return null; } },
};
