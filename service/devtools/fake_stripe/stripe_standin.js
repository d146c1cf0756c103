/* Stripe.js stand-in, served by the local Stripe simulator at /v3/ (dev and tests only).
 *
 * The same shape as the parts of Stripe.js v3 a checkout page uses, so the page's code is
 * identical offline and against real Stripe:
 *   const stripe = Stripe(publishableKey);
 *   const elements = stripe.elements({clientSecret});
 *   elements.create("payment").mount("#payment-element");
 *   stripe.confirmPayment({elements, confirmParams: {return_url}, redirect: "if_required"})
 *     -> Promise<{paymentIntent} | {error: {type, code, decline_code, message}}>
 * Like Stripe.js it calls the API with the publishable key and the client_secret only.
 * Instead of card fields its Payment Element offers Stripe's test cards as radio buttons, and
 * OXXO (a voucher paid in cash at a store, Mexican pesos only) with the name and email Stripe
 * needs for it; as in Stripe's test mode the email decides the voucher's fate
 * (succeed_immediately@…, expire_immediately@…, anything else waits for its expiry).
 */
(function () {
  "use strict";
  var API = new URL(document.currentScript.src).origin;
  var CARDS = [
    ["pm_card_visa", "Visa 4242 4242 4242 4242", "succeeds"],
    ["pm_card_chargeDeclined", "Visa 4000 0000 0000 0002", "is declined"],
    ["pm_card_chargeDeclinedInsufficientFunds", "Visa 4000 0000 0000 9995", "is declined: insufficient funds"],
    ["pm_card_authenticationRequired", "Visa 4000 0027 6000 3184", "requires 3D Secure authentication"],
    ["oxxo", "OXXO voucher", "pay cash at a store (Mexican pesos only)"],
  ];
  var BILLING = [["name", "Name on the voucher", "name"], ["email", "Email for the voucher", "email"]];
  var mounted = 0;

  function post(path, params) {
    // A form POST without custom headers is a CORS "simple request" (no preflight), as
    // Stripe.js's calls to the API are.
    return fetch(API + path, { method: "POST", body: new URLSearchParams(params) }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    });
  }

  function node(tag, text) {
    var el = document.createElement(tag);
    if (text) el.textContent = text;
    return el;
  }

  function PaymentElement() { this._fieldset = null; }
  PaymentElement.prototype.mount = function (target) {
    var host = typeof target === "string" ? document.querySelector(target) : target;
    var name = "simulator-card-" + (++mounted);
    var fieldset = node("fieldset");
    fieldset.appendChild(node("legend", "Test card (Stripe simulator: no real money moves)"));
    CARDS.forEach(function (card, index) {
      var row = node("div"), input = node("input"), label = node("label", card[1] + ": " + card[2]);
      input.type = "radio"; input.name = name; input.value = card[0]; input.id = name + "-" + index;
      input.checked = index === 0;
      label.htmlFor = input.id;
      // Each choice is a 44 px tap target (the whole row's label), as on a phone it must be.
      row.style.cssText = "display:flex;align-items:center;gap:.5rem;min-height:44px";
      input.style.cssText = "width:1.25rem;height:1.25rem;margin:0";
      label.style.cssText = "display:flex;align-items:center;flex:1;min-height:44px;margin:0";
      row.append(input, label);
      fieldset.appendChild(row);
    });
    // OXXO needs the customer's name and email (Stripe's Payment Element asks for them too).
    var billing = node("div");
    BILLING.forEach(function (field) {
      var label = node("label", field[1]), input = node("input");
      input.id = name + "-" + field[0]; input.name = field[0]; input.type = field[2] === "email" ? "email" : "text";
      input.autocomplete = field[2];
      label.htmlFor = input.id;
      label.style.cssText = "display:block;margin-top:.5rem";
      input.style.cssText = "display:block;min-height:44px;width:100%;box-sizing:border-box";
      billing.append(label, input);
    });
    billing.hidden = true;
    fieldset.appendChild(billing);
    fieldset.addEventListener("change", function () {
      billing.hidden = fieldset.querySelector("input[type=radio]:checked").value !== "oxxo";
    });
    host.replaceChildren(fieldset);
    this._fieldset = fieldset;
    this._billing = billing;
  };
  PaymentElement.prototype._paymentMethod = function () {
    var checked = this._fieldset && this._fieldset.querySelector("input:checked");
    return checked ? checked.value : null;
  };
  PaymentElement.prototype._billingDetails = function () {
    var out = {};
    BILLING.forEach(function (field) { out[field[0]] = this._billing.querySelector("[name=" + field[0] + "]").value.trim(); }, this);
    return out;
  };

  function Elements(options) {
    if (!options || !options.clientSecret) throw new Error("stand-in Stripe.js: elements() needs a clientSecret");
    this._clientSecret = options.clientSecret;
    this._payment = null;
  }
  Elements.prototype.create = function (type) {
    if (type !== "payment") throw new Error("stand-in Stripe.js offers only the \"payment\" element");
    this._payment = new PaymentElement();
    return this._payment;
  };

  function challenge() {
    // The bank's 3D Secure page, reduced to its two outcomes; Escape counts as a failure.
    return new Promise(function (resolve) {
      var dialog = node("dialog"), heading = node("h2", "3D Secure authentication (simulated)");
      heading.id = "simulator-3ds-heading";
      dialog.setAttribute("aria-labelledby", heading.id);
      dialog.append(heading, node("p", "Your bank asks you to confirm this payment."));
      [["complete", "Complete authentication"], ["fail", "Fail authentication"]].forEach(function (choice) {
        var button = node("button", choice[1]);
        button.type = "button";
        button.addEventListener("click", function () { dialog.close(choice[0]); });
        dialog.appendChild(button);
      });
      dialog.addEventListener("close", function () {
        dialog.remove();
        resolve(dialog.returnValue === "complete" ? "complete" : "fail");
      });
      document.body.appendChild(dialog);
      dialog.showModal();
    });
  }

  function StripeStandIn(key) { this._key = key; }
  StripeStandIn.prototype.elements = function (options) { return new Elements(options); };
  StripeStandIn.prototype.confirmPayment = function (options) {
    var elements = options.elements, secret = elements._clientSecret;
    var id = secret.split("_secret_")[0];
    var auth = { key: this._key, client_secret: secret };
    var method = elements._payment && elements._payment._paymentMethod();
    if (!method) return Promise.resolve({ error: { type: "validation_error", message: "Choose a test card." } });
    var params = { payment_method: method };
    if (method === "oxxo") {
      var billing = elements._payment._billingDetails();
      if (!billing.name || !billing.email) {
        return Promise.resolve({ error: { type: "validation_error", message: "Enter the name and email for the voucher." } });
      }
      params = { "payment_method_data[type]": "oxxo", "payment_method_data[billing_details][name]": billing.name,
                 "payment_method_data[billing_details][email]": billing.email };
    }
    return post("/v1/payment_intents/" + id + "/confirm", Object.assign(params, auth))
      .then(function (res) {
        // Only a card's 3D Secure step is done here; a voucher resolves with the PaymentIntent
        // in requires_action, as Stripe.js does once it has shown the voucher.
        if (!res.ok || res.body.status !== "requires_action" || res.body.next_action.type !== "use_stripe_sdk") return res;
        return challenge().then(function (outcome) {
          return post("/v1/test_helpers/payment_intents/" + id + "/authenticate", Object.assign({ outcome: outcome }, auth));
        });
      })
      .then(function (res) {
        if (!res.ok) return { error: res.body.error };
        var returnUrl = options.confirmParams && options.confirmParams.return_url;
        if (options.redirect !== "if_required" && returnUrl) {
          // Stripe.js redirects after success unless told "if_required"; it appends these.
          var url = new URL(returnUrl);
          url.searchParams.set("payment_intent", id);
          url.searchParams.set("payment_intent_client_secret", secret);
          url.searchParams.set("redirect_status", "succeeded");
          window.location.assign(url.href);
          return new Promise(function () {});
        }
        return { paymentIntent: res.body };
      }, function () {
        return { error: { type: "api_connection_error", message: "Could not reach the Stripe simulator. Please try again." } };
      });
  };

  window.Stripe = function (publishableKey) {
    if (!/^pk_/.test(publishableKey || "")) throw new Error("Stripe(): a publishable key (pk_...) is required");
    return new StripeStandIn(publishableKey);
  };
})();
