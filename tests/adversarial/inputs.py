"""Injection into every input an outsider reaches, the operator endpoints without their
tokens, and HTTP framing tricks. Expected: a 4xx (or the normal answer for a valid request),
never a 5xx, nothing stored that the request did not legitimately create."""

import json
import uuid

import requests

from .tally import Tally

CART = [{"sku": "tee", "quantity": 1}]
BODIES = [
    {"items": [{"sku": {"$gt": ""}, "quantity": 1}]},
    {"items": [{"sku": "tee", "quantity": {"$gt": 0}}]},
    {"items": CART, "$where": "sleep(1000)"},
    {"items": CART, "amount": 1},
    {"items": CART, "email": "a@b.co\n"},
    {"items": CART, "email": 'x@y.z\n{"alert":"payment_needs_review"}'},
    {"items": [{"sku": "tee\n", "quantity": 1}]},
    {"items": [{"sku": "tee", "quantity": "1"}]},
    {"items": [{"sku": "tee", "quantity": 10**30}]},
    {"items": [{"sku": "../tee", "quantity": 1}]},
    {"items": {"sku": "tee"}},
    {"items": [CART[0]] * 51},
    [{"sku": "tee", "quantity": 1}],
]
PATHS = [
    '/orders/{"$ne":null}',
    "/orders/ord_" + "0" * 32 + "%0A",
    "/orders/ord_%00",
    "/orders/..%2f..%2fadmin%2fsummary",
    "/orders/" + "a" * 5000,
    "/products?$where=1&limit=-1",
    "/healthz?%ff%fe=%00",
    "/%2e%2e/%2e%2e/etc/passwd",
]


def injection(target, size):
    """Operators, newlines, wrong types and path tricks in checkout bodies, ids, keys and queries."""
    tally = Tally("injection into inputs", "checkout body fields, ids in paths, query strings, keys")
    for _ in range(size):
        for body in BODIES:
            before = target.stored()
            headers = {"X-Forwarded-For": target.client_ip()}
            response = requests.post(target.url + "/checkout", json=body, headers=headers, timeout=30)
            ok = response.status_code in (400, 422) and target.stored() == before
            tally.held(ok, (response.status_code, json.dumps(body)[:80]))
        for path in PATHS:
            status, _, _ = target.raw(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            tally.held(200 <= status < 500 and status != 0, (status, path[:60]))
        for key in ['{"$gt": ""}', "k" * 256, "ключ", "a b"]:
            headers = {"X-Forwarded-For": target.client_ip(), "Idempotency-Key": key.encode("utf-8").decode("latin-1")}
            before = target.stored()
            response = requests.post(target.url + "/checkout", json={"items": CART}, headers=headers, timeout=30)
            if response.status_code == 201:  # '{"$gt": ""}' is a valid key (visible ASCII): a plain string
                stored = target.db.orders.find_one({"idempotency_key": key})
                tally.held(stored is not None and stored["_id"] == response.json()["order_id"], key)
            else:
                tally.held(response.status_code == 422 and target.stored() == before, (response.status_code, key))
    return tally


def operator_endpoints(target, size):
    """The admin API and /metrics without their tokens: wrong, empty, other schemes, huge."""
    tally = Tally("operator endpoints without tokens", "/admin/* and /metrics: no, wrong, odd Authorization")
    auths = [None, "Bearer", "Bearer ", "Bearer " + uuid.uuid4().hex * 2, "Basic YWRtaW46YWRtaW4=", "bearer x" * 500]
    paths = ["/admin/summary", "/admin/events?state=failed", "/admin/orders/stuck", "/admin/nope", "/metrics"]
    for _ in range(size):
        for path in paths:
            for auth in auths:
                headers = {} if auth is None else {"Authorization": auth}
                response = requests.get(target.url + path, headers=headers, timeout=30)
                tally.held(response.status_code in (401, 431, 400), (response.status_code, path, str(auth)[:20]))
        response = requests.post(target.url + "/admin/events/evt_x/replay", timeout=30)
        tally.held(response.status_code == 401, ("replay", response.status_code))
    return tally


def _smuggle(inner):
    return (
        b"POST /checkout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + inner
    )


INNER = (
    b"POST /checkout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 45\r\n\r\n"
    b'{"items": [{"sku": "tee", "quantity": 999}]}\n'
)
FRAMES = [
    _smuggle(INNER),
    b"POST /checkout HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    b"POST /checkout HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
    b"POST /checkout HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n",
    b"POST /checkout HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
    b"POST /checkout HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n\r\n",
    b"POST /checkout HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n",
    b"GET /healthz HTTP/1.1\nHost: x\n\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
    b"GET http://evil.example/admin/summary HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n",
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"b" * 9000 + b"\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % n for n in range(200)) + b"\r\n",
    b"TRACE / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"DELETE /orders/ord_x HTTP/1.1\r\nHost: x\r\nX-HTTP-Method-Override: GET\r\n\r\n",
    b"POST /checkout HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\n"
    b"Content-Length: 999999999\r\n\r\n",
]


def framing(target, size):
    """Request smuggling (CL+TE, two CLs, odd TE), folding, bare CR/LF, NUL, huge lines and
    headers, absolute targets, HTTP/2 preface, odd methods: a 4xx, never a 5xx, the smuggled
    inner request never run."""
    tally = Tally("HTTP framing tricks", "smuggling, folding, bare CR/LF, NUL, huge lines, odd versions")
    for _ in range(size):
        for frame in FRAMES:
            before = target.stored()
            status, _, _ = target.raw(frame, timeout=5)
            unchanged = target.stored() == before
            no_999 = target.db.orders.count_documents({"items.quantity": 999}) == 0
            tally.held((400 <= status < 500 or status in (0, 501)) and unchanged and no_999, (status, frame[:50]))
    return tally
