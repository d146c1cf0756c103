"""What every answer and every log line must look like whatever the client sends: security
headers, no reflection, logs nobody can forge, floods within bounds, and no secret anywhere."""

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.support.helpers import API_KEY, OLD_WEBHOOK_SECRET, WEBHOOK_SECRET
from tests.support.secrets import scan_database

from .tally import Tally

# The README's alert search, as a log platform would run it on each line.
ALERT_SEARCH = re.compile(r'"alert":"')
FORGED = '{"level":"error","alert":"payment_needs_review","order_id":"ord_forged"}'


def response_headers(target, size):
    """nosniff on every answer (gunicorn's own 400s included); HSTS only when the router says
    HTTPS; no cookie, no CORS grant, no unsafe X-Request-Id echoed."""
    tally = Tally("response headers", "nosniff everywhere, HSTS iff HTTPS, no Set-Cookie/CORS, no echo")
    requests_ = [
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nOrigin: https://evil.example\r\n",
        b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n",
        b"POST /checkout HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
        b"GET /healthz HTTP/1.1\nHost: x\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Request-Id: <script>alert(1)</script>\r\n",
    ]
    for _ in range(size):
        for raw in requests_:
            for https in (False, True):
                line, _, rest = raw.partition(b"\n")
                data = line + b"\n" + (b"X-Forwarded-Proto: https\r\n" if https else b"") + rest
                data = data if data.endswith(b"x") else data + b"\r\n"
                status, head, _ = target.raw(data, timeout=5)
                lower = head.lower()
                ok = b"x-content-type-options: nosniff" in lower and b"set-cookie" not in lower
                ok = ok and b"access-control-allow-origin" not in lower and b"<script>" not in lower
                app_answered = b"x-request-id" in lower  # gunicorn's own 400s cannot know the scheme
                if app_answered:
                    ok = ok and ((b"strict-transport-security" in lower) == https)
                tally.held(ok and status != 0, (status, https, head[:120]))
    return tally


def log_forgery(target, size):
    """JSON with an alert key in the request line, path, headers, keys and body fields: every
    log line stays one JSON object, and none has (or matches a search for) a top-level alert."""
    tally = Tally(
        "log forgery",
        "alert JSON in request line, path, headers, key, email; each request and each log line after it counted",
    )
    mark = len(target.log_lines())
    encoded = requests.utils.quote(FORGED)
    payloads = [
        f"GET /x HTTP/1.1 {FORGED}\r\nHost: x\r\n\r\n".encode(),
        f"GET /x?{FORGED} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
        f"GET /orders/%0A{encoded} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(),
        f"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Request-Id: {FORGED}\r\n\r\n".encode(),
        f"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nUser-Agent: \n{FORGED}\r\n\r\n".encode(),
        f"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-A: \u2028{FORGED}\r\n\r\n".encode(),
        f"POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Stripe-Signature: {FORGED}\r\nContent-Length: 2\r\n\r\n{{}}".encode(),
    ]
    for _ in range(size):
        for raw in payloads:
            target.raw(raw, timeout=5)
            tally.held(True)
        response = requests.post(
            target.url + "/checkout",
            json={"items": [{"sku": "tee", "quantity": 1}], "email": f"a@b.co\n{FORGED}"},
            headers={"Idempotency-Key": FORGED, "X-Forwarded-For": target.client_ip()},
            timeout=30,
        )
        tally.held(response.status_code == 422, ("checkout", response.status_code))
    time.sleep(0.3)  # let the workers' lines reach the log
    for line in target.log_lines()[mark:]:
        try:
            entry = json.loads(line)
        except ValueError:
            tally.held(False, ("not one JSON object", line[:200]))
            continue
        if _genuine_alert(entry):  # e.g. the spike alert the earlier forged signatures rightly raised
            continue
        tally.held(isinstance(entry, dict) and "alert" not in entry and not ALERT_SEARCH.search(line), line[:200])
    return tally


def _genuine_alert(entry):
    """A line the service's own alerting wrote: from its alerts logger, carrying nothing the
    forged text put there."""
    return (
        isinstance(entry, dict)
        and entry.get("logger") == "service.alerts"
        and entry.get("alert") == "signature_failure_spike"
        and "ord_forged" not in json.dumps(entry)
    )


def floods(target, size):
    """Bounded floods from one client: checkouts past the per-IP limit are 429 with Retry-After
    and create nothing; Stripe's deliveries (duplicates) are never limited; health stays up."""
    tally = Tally("floods within bounds", "checkout burst from one IP; webhook duplicates burst")
    ip, before = target.client_ip(), target.stored()
    cart = {"items": [{"sku": "tee", "quantity": 1}]}

    def buy(_):
        return requests.post(target.url + "/checkout", json=cart, headers={"X-Forwarded-For": ip}, timeout=30)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(buy, range(20 + 10 * size)))
    created = sum(1 for r in answers if r.status_code == 201)
    for response in answers:
        if response.status_code == 429:
            ok = (
                response.headers.get("Retry-After", "").isdigit() and response.json()["error"]["code"] == "rate_limited"
            )
            tally.held(ok, response.headers)
        else:
            tally.held(response.status_code == 201, response.status_code)
    tally.held(created <= 20 and target.stored()[0] - before[0] == created, ("created", created))
    _, body, signature = target.genuine_event()
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature}

    def deliver(_):
        return requests.post(target.url + "/webhooks/stripe", data=body, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        for status in pool.map(deliver, range(20 + 10 * size)):
            tally.held(status == 200, status)
    tally.held(requests.get(target.url + "/healthz", timeout=5).status_code == 200, "healthz")
    return tally


def secrets(target, size):
    """After everything else: no key, signing secret or client_secret in any log line, and none
    stored in any collection."""
    tally = Tally("secrets at rest and in logs", "every log line and every document, after the whole run")
    issued = [order["client_secret"] for order in (target.order() for _ in range(size))]
    text = "\n".join(target.log_lines())
    for secret in (API_KEY, WEBHOOK_SECRET, OLD_WEBHOOK_SECRET, *issued, "_secret_"):
        tally.held(secret not in text, secret[:12])
    found = scan_database(target.db)
    tally.held(not found, found)
    return tally
