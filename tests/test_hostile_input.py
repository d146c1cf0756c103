"""Hostile input on POST /checkout and POST /webhooks/stripe: random bytes, truncated and
oversized bodies, wrong content types, header injection, a signature for another payload,
replays beyond the tolerance, unicode and huge numbers, unknown fields, signed but malformed
events. Expected every time: a clear 4xx JSON error (or, for a well-formed request, the
normal answer), nothing stored, never a 500, and no secret in any log line."""

import hashlib
import hmac
import json
import socket
import time
import uuid

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from service.devtools.fake_stripe import sign_payload
from tests.support.helpers import API_KEY, CATALOG, OLD_WEBHOOK_SECRET, WEBHOOK_SECRET
from tests.support.stack import ServiceStack

FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PRICES = {item["sku"]: item for item in CATALOG}
MAX_BODY = 256 * 1024
SECRET_SHAPES = ("whsec_", "sk_test_", "sk_live_", "_secret_", API_KEY, WEBHOOK_SECRET, OLD_WEBHOOK_SECRET)


@pytest.fixture(scope="module")
def hostile_stack(mongo, tmp_path_factory):
    """The module's stack: the shared server, a fake Stripe of its own, one in-process app on the
    stack's database (hypothesis runs many examples against it); its teardown drops it."""
    directory = str(tmp_path_factory.mktemp("hostile"))
    with ServiceStack(directory, mongo=mongo, env={"LOG_LEVEL": "DEBUG"}) as stack:
        yield stack.start(prepare="in-process", web=False)


@pytest.fixture(scope="module")
def fake(hostile_stack):
    return hostile_stack.fake


@pytest.fixture(scope="module")
def app(hostile_stack):
    """One app for the module (hypothesis runs many examples against it)."""
    return hostile_stack.app


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def raw_db(hostile_stack):
    return hostile_stack.database()


class Stored:
    """What a request could have stored: orders, inbox rows, PaymentIntents at Stripe."""

    def __init__(self, raw_db, fake):
        self.raw_db, self.fake = raw_db, fake
        self.before = self.counts()

    def counts(self):
        return (
            self.raw_db.orders.count_documents({}),
            self.raw_db.stripe_events.count_documents({}),
            self.fake.payment_intents_created,
        )

    def unchanged(self):
        return self.counts() == self.before


@pytest.fixture
def stored(raw_db, fake):
    """Call ``stored()`` to snapshot the counts before a request."""
    return lambda: Stored(raw_db, fake)


def assert_client_error(response, *statuses):
    """A 4xx in ``statuses`` with the JSON error shape."""
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json(silent=True)
    assert body and isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
    return body["error"]["code"]


def assert_no_secrets(lines, *extra):
    """No log line holds a key, a webhook secret, a client_secret or any of ``extra``, and
    none reports an unhandled error."""
    assert lines, "no log line was captured"
    for line in lines:
        text = json.dumps(line)
        leaked = [shape for shape in SECRET_SHAPES + extra if shape and shape in text]
        assert not leaked, (leaked, line)
        assert line.get("msg") != "unhandled error", line


def sign_bytes(body, secret=WEBHOOK_SECRET, timestamp=None):
    """A Stripe-Signature header over raw bytes (which need not be UTF-8)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_webhook(client, body, signature=None, content_type="application/json"):
    headers = {"Content-Type": content_type}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post("/webhooks/stripe", data=body, headers=headers)


def post_checkout(client, body, content_type="application/json", **headers):
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post("/checkout", data=data, headers={"Content-Type": content_type, **headers})


def new_pi_event(client, fake):
    """A real payment_intent.succeeded event for a fresh order (not delivered)."""
    body = post_checkout(client, {"items": [{"sku": "tee", "quantity": 1}]}).get_json()
    return fake.succeed(body["payment_intent_id"])


# -- webhook -----------------------------------------------------------------------------
@FUZZ
@given(body=st.binary(max_size=4096), signed=st.booleans())
@example(body=b"", signed=True)
@example(body=b"\xff\xfe{}", signed=True)
@example(body=b'{"id": "evt_1"}', signed=True)
def test_random_bytes_to_the_webhook_are_400_and_store_nothing(client, stored, log_lines, body, signed):
    """Random bytes, signed or not, are a 400 JSON error with nothing stored."""
    before, mark = stored(), len(log_lines())
    response = post_webhook(client, body, sign_bytes(body) if signed else None)
    code = assert_client_error(response, 400)
    assert code in ("missing_signature", "invalid_signature", "malformed_event")
    assert before.unchanged()
    assert_no_secrets(log_lines()[mark:])


@FUZZ
@given(data=st.data())
def test_truncated_signed_body_is_400_and_stores_nothing(client, fake, stored, log_lines, data):
    """A signed event cut short anywhere fails verification: 400, nothing stored."""
    event = new_pi_event(client, fake)
    body = json.dumps(event).encode()
    cut = data.draw(st.integers(0, len(body) - 1))
    before, mark = stored(), len(log_lines())
    response = post_webhook(client, body[:cut], sign_bytes(body))
    assert assert_client_error(response, 400) in ("invalid_signature", "malformed_event")
    assert before.unchanged()
    assert_no_secrets(log_lines()[mark:], event["data"]["object"]["client_secret"])


def test_signature_for_another_payload_is_400(client, fake, stored, log_lines):
    """A valid signature of event A on the body of event B: 400, B not stored."""
    first, second = new_pi_event(client, fake), new_pi_event(client, fake)
    before = stored()
    response = post_webhook(client, json.dumps(second).encode(), sign_bytes(json.dumps(first).encode()))
    assert assert_client_error(response, 400) == "invalid_signature"
    assert before.unchanged()
    assert_no_secrets(log_lines())


@pytest.mark.parametrize("age", [301, 3600, 86400 * 30])
def test_replay_of_an_old_signed_request_beyond_tolerance_is_400(client, fake, stored, log_lines, age):
    """A genuine delivery captured and replayed after the 300 s tolerance: 400 stale, nothing stored."""
    event = new_pi_event(client, fake)
    body = json.dumps(event).encode()
    before = stored()
    response = post_webhook(client, body, sign_payload(body, WEBHOOK_SECRET, timestamp=int(time.time()) - age))
    assert assert_client_error(response, 400) == "stale_signature"
    assert before.unchanged()
    assert_no_secrets(log_lines())


CONTENT_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/jsonx",
    "text/json",
    "",
    "application/json-patch+json",
]


@FUZZ
@given(
    content_type=st.one_of(
        st.sampled_from(CONTENT_TYPES), st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
    )
)
def test_wrong_content_type_is_415_even_with_a_valid_signature(client, fake, stored, log_lines, content_type):
    """Anything but application/json is a 415 on both endpoints, signed or not, nothing stored."""
    if content_type.split(";")[0].strip().lower() == "application/json":
        return  # the one acceptable type (any parameters)
    event = new_pi_event(client, fake)
    body = json.dumps(event).encode()
    before, mark = stored(), len(log_lines())
    assert_client_error(post_webhook(client, body, sign_bytes(body), content_type), 415)
    assert_client_error(post_checkout(client, {"items": [{"sku": "tee", "quantity": 1}]}, content_type), 415)
    assert before.unchanged()
    assert_no_secrets(log_lines()[mark:])


@pytest.mark.parametrize("path", ["/webhooks/stripe", "/checkout"])
def test_oversized_body_is_413_and_stores_nothing(client, stored, log_lines, path):
    """One byte over MAX_BODY_BYTES: 413 JSON error before anything is parsed or stored."""
    body = b'{"items": "' + b"x" * MAX_BODY + b'"}'
    before = stored()
    response = client.post(
        path, data=body, headers={"Content-Type": "application/json", "Stripe-Signature": sign_bytes(body)}
    )
    assert assert_client_error(response, 413) == "payload_too_large"
    assert before.unchanged()
    assert_no_secrets(log_lines())


def _json_values():
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=2**63 - 5),
        st.floats(allow_nan=False),
        st.text(max_size=20),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
        max_leaves=8,
    )


def _weird_text():
    return st.one_of(
        st.text(max_size=30),
        st.sampled_from(["evt_", "evt_\ud800", "evt_\x00", "evt_" + "a" * 300, "evt_ok", "ord_\ud800", "pi_\udfff"]),
    )


@st.composite
def signed_events(draw):
    """Events a Stripe-signed body could carry, with hostile values where fields are read."""
    pi = {
        "id": draw(st.one_of(_weird_text(), _json_values())),
        "object": "payment_intent",
        "amount": 2000,
        "amount_received": draw(st.one_of(st.just(2000), _json_values())),
        "currency": draw(st.one_of(st.just("usd"), _json_values())),
        "metadata": draw(
            st.one_of(
                st.just({}),
                _json_values(),
                st.fixed_dictionaries({"order_id": st.one_of(_weird_text(), _json_values())}),
            )
        ),
    }
    event = {
        "id": draw(st.one_of(st.just("evt_" + uuid.uuid4().hex), _weird_text(), _json_values())),
        "object": "event",
        "type": draw(
            st.one_of(
                st.sampled_from(
                    [
                        "payment_intent.succeeded",
                        "payment_intent.payment_failed",
                        "charge.refunded",
                        "charge.dispute.created",
                    ]
                ),
                _weird_text(),
                _json_values(),
            )
        ),
        "created": draw(st.one_of(st.just(int(time.time())), _json_values(), st.integers(2**63, 2**80))),
        "livemode": False,
        "data": draw(st.one_of(st.just({"object": pi}), _json_values())),
    }
    for key in draw(st.lists(st.sampled_from(list(event)), max_size=2)):
        event.pop(key, None)
    return event


def _event(**changes):
    pi = {
        "id": "pi_x",
        "object": "payment_intent",
        "amount": 2000,
        "amount_received": 2000,
        "currency": "usd",
        "metadata": {"order_id": "ord_x"},
    }
    pi.update(changes.pop("pi", {}))
    return {
        "id": "evt_" + uuid.uuid4().hex,
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": pi},
        **changes,
    }


@FUZZ
@given(event=signed_events())
@example(event=_event(created=10**30))  # beyond BSON's int64: was an unhandled 500
@example(event=_event(pi={"id": 5}))  # was a 500 (inbox row validation)
@example(event=_event(pi={"metadata": {"order_id": 7}}))  # was a 500
@example(event=_event(pi={"metadata": ["order_id"]}))  # was a 500 (AttributeError)
@example(event=_event(pi={"metadata": {"order_id": "ord_\ud800"}}))  # lone surrogate: was a 500
@example(event=_event(pi={"amount_received": "\ud800"}))  # stored, then a recorded apply failure
def test_signed_but_malformed_event_is_never_a_500(client, raw_db, log_lines, event):
    """A signed but malformed event is a 400 with nothing stored (or a recorded apply failure), never a 500."""
    body = json.dumps(event).encode()
    before, mark = raw_db.stripe_events.count_documents({}), len(log_lines())
    response = post_webhook(client, body, sign_bytes(body))
    assert response.status_code in (200, 400, 500), response.status_code
    if response.status_code == 400:
        assert assert_client_error(response, 400) == "malformed_event"
        assert raw_db.stripe_events.count_documents({}) == before
    elif response.status_code == 500:  # the contract's "permanent error while applying"
        assert response.get_json()["error"]["code"] == "event_processing_failed"
        assert raw_db.stripe_events.find_one({"_id": event["id"]})["last_error"]
    assert_no_secrets(log_lines()[mark:])


def test_deeply_nested_signed_json_is_400(client, stored):
    """A signed body nested deeper than the JSON parser's recursion limit: 400, not 500."""
    body = b"[" * 50_000 + b"]" * 50_000
    before = stored()
    assert assert_client_error(post_webhook(client, body, sign_bytes(body)), 400) == "malformed_event"
    assert before.unchanged()


# -- checkout ----------------------------------------------------------------------------
QUANTITIES = st.one_of(
    st.integers(-3, 1003),
    st.integers(),
    st.sampled_from([0, -1, 2**31, 2**63, 2**64, 10**30]),
    st.floats(),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
)
SKUS = st.one_of(
    st.sampled_from(list(PRICES)),
    st.text(max_size=12),
    st.sampled_from(["ｔｅｅ", "tee\x00", "TEE", "tee ", "t\u0435e", "\ud800", "../tee", "$gt"]),
)


@st.composite
def checkout_bodies(draw):
    items = draw(
        st.lists(
            st.one_of(
                st.fixed_dictionaries({"sku": SKUS, "quantity": QUANTITIES}),
                st.fixed_dictionaries({"sku": SKUS, "quantity": QUANTITIES, "price": st.integers()}),
                _json_values(),
            ),
            max_size=4,
        )
    )
    body = {"items": draw(st.one_of(st.just(items), _json_values()))}
    if draw(st.booleans()):
        body["email"] = draw(
            st.one_of(
                st.text(max_size=20),
                st.emails(),
                st.sampled_from(["a@b.co", "a\ud800@example.com", "é@例え.jp", "a@b.c\u202e", "x" * 300 + "@a.io"]),
                _json_values(),
            )
        )
    for key in draw(
        st.lists(st.sampled_from(["amount", "currency", "status", "order_id", "$where", "items.0"]), max_size=2)
    ):
        body[key] = draw(_json_values())
    return body if draw(st.integers(0, 9)) else draw(_json_values())


@FUZZ
@given(body=checkout_bodies())
@example(body={"items": [{"sku": "tee", "quantity": 1}], "email": "a\ud800@example.com"})
@example(body={"items": [{"sku": "tee", "quantity": 10**30}]})
@example(body={"items": [{"sku": "tee", "quantity": 2}], "amount": 1})
def test_checkout_with_hostile_json_is_201_priced_from_catalog_or_a_clean_4xx(client, raw_db, fake, log_lines, body):
    """Any JSON body gets a 201 priced from the catalog or a 4xx JSON error with nothing created."""
    before, mark = Stored(raw_db, fake), len(log_lines())
    response = post_checkout(client, body)
    if response.status_code == 201:
        merged = {}
        for item in body["items"]:
            merged[item["sku"]] = merged.get(item["sku"], 0) + item["quantity"]
        assert response.get_json()["amount"] == sum(PRICES[sku]["unit_amount"] * q for sku, q in merged.items())
        assert raw_db.orders.count_documents({}) == before.before[0] + 1
    else:
        assert_client_error(response, 400, 422)
        assert before.unchanged()
    assert_no_secrets(
        log_lines()[mark:], *([response.get_json()["client_secret"]] if response.status_code == 201 else [])
    )


@pytest.mark.parametrize(
    "raw",
    [
        b'{"items": [{"sku": "tee", "quantity": NaN}]}',
        b'{"items": [{"sku": "tee", "quantity": Infinity}]}',
        b'{"items": [{"sku": "tee", "quantity": -Infinity}]}',
        b'{"items": [{"sku": "tee", "quantity": 1e400}]}',
        b'{"items": [{"sku": "tee", "quantity": ' + b"9" * 5000 + b"}]}",
        b'{"items": [{"sku": "tee", "quantity": 1}]',
        b'{"items": [{"sku": "\xff\xfe", "quantity": 1}]}',
        b"[" * 50_000 + b"]" * 50_000,
        b'{"items": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b"",
        b"null",
    ],
)
def test_malformed_or_extreme_json_at_checkout_is_a_clean_4xx(client, stored, log_lines, raw):
    """Non-finite numbers, 5000-digit integers, broken and deeply nested JSON: 400/422, nothing stored."""
    before = stored()
    assert_client_error(post_checkout(client, raw), 400, 422)
    assert before.unchanged()
    assert_no_secrets(log_lines())


@pytest.mark.parametrize("key", ["", "a" * 256, "key with spaces", "ключ", "k\x00", "k\x7f", 'k"}\n{"x'])
def test_hostile_idempotency_key_is_422(client, stored, log_lines, key):
    """An Idempotency-Key outside 1-255 visible ASCII characters: 422, nothing stored."""
    before = stored()
    try:
        response = post_checkout(client, {"items": [{"sku": "tee", "quantity": 1}]}, **{"Idempotency-Key": key})
    except ValueError:  # the test client itself refuses a header value with a newline
        return
    assert assert_client_error(response, 422) == "invalid_idempotency_key"
    assert before.unchanged()
    assert_no_secrets(log_lines())


@pytest.mark.parametrize("request_id", ["abc\u2028def", "a b", "<script>", "x" * 65, "../../etc", "%0d%0aSet-Cookie:x"])
def test_hostile_request_id_is_not_echoed(client, request_id):
    """A client X-Request-Id outside the safe pattern is replaced, never reflected."""
    response = client.get("/healthz", headers={"X-Request-Id": request_id})
    assert response.headers["X-Request-Id"] != request_id and len(response.headers["X-Request-Id"]) == 32


# -- through gunicorn --------------------------------------------------------------------
@pytest.fixture(scope="module")
def web(hostile_stack):
    """gunicorn on the module app's database; stopped with the stack."""
    return hostile_stack.start_web()


def _raw_post(server, path, head_lines, chunks):
    """Send a request by hand (chunked when ``chunks`` is a list); returns (status, body)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
            + b"".join(line + b"\r\n" for line in head_lines)
            + b"\r\n"
        )
        try:
            for chunk in chunks:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed before reading everything
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply) < reply.index(b"\r\n\r\n") + 4 + _length(reply):
            data = sock.recv(65536)
            if not data:
                break
            reply += data
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def _length(reply):
    for line in reply.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


@pytest.mark.parametrize("path", ["/webhooks/stripe", "/checkout"])
def test_oversized_body_is_413_under_gunicorn(web, raw_db, fake, path):
    """Through gunicorn an oversized body, with Content-Length or chunked, is the JSON 413; nothing stored."""
    before = Stored(raw_db, fake)
    body = b'{"items": "' + b"x" * MAX_BODY + b'"}'
    response = requests.post(
        web.url + path,
        data=body,
        timeout=15,
        headers={"Content-Type": "application/json", "Stripe-Signature": sign_bytes(body)},
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    status, reply = _raw_post(
        web,
        path,
        [
            b"Content-Type: application/json",
            b"Transfer-Encoding: chunked",
            b"Stripe-Signature: " + sign_bytes(body).encode(),
        ],
        [body[i : i + 16384] for i in range(0, len(body), 16384)],
    )
    assert status == 413 and json.loads(reply)["error"]["code"] == "payload_too_large"
    assert before.unchanged()
    assert not any(shape in web.logs() for shape in SECRET_SHAPES)


INJECTIONS = [
    b"X-Request-Id: abc\r\nSet-Cookie: pwn=1",  # a second header line, not an injection
    b"X-Request-Id: a\rSet-Cookie: pwn=1",  # bare CR
    b"X-Request-Id: a\x00Set-Cookie: pwn=1",  # NUL
    b"X-Request-Id: a\r\n Set-Cookie: pwn=1",  # obsolete line folding
    b"Content-Length: 5",  # a second, conflicting Content-Length
    b"Transfer-Encoding: chunked",  # Content-Length and chunked: request smuggling
    b"Stripe-Signature: t=1,v1=aa\r\nStripe-Signature: t=2,v1=bb",
]


@pytest.mark.parametrize("header", INJECTIONS)
def test_header_injection_and_smuggling_under_gunicorn_is_400(web, raw_db, fake, header):
    """Injected or smuggling header lines get a 400 (gunicorn's or the app's JSON); nothing stored or reflected."""
    before = Stored(raw_db, fake)
    body = json.dumps({"id": "evt_injected", "type": "payment_intent.succeeded"}).encode()
    with socket.create_connection(("127.0.0.1", web.port), timeout=15) as sock:
        sock.sendall(
            b"POST /webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n%s\r\n\r\n%s" % (len(body), header, body)
        )
        reply = b""
        while data := sock.recv(65536):
            reply += data
    head, _, rest = reply.partition(b"\r\n\r\n")
    # gunicorn's own parser errors (malformed HTTP never reaches the app) are the same JSON
    # error shape (service/web_worker.py), with nosniff and nothing of the request echoed
    assert head.split()[1] == b"400", reply[:300]
    assert b"set-cookie" not in head.lower() and b"x-content-type-options: nosniff" in head.lower()
    assert b"application/json" in head
    assert json.loads(rest)["error"]["code"] in ("bad_request", "missing_signature", "invalid_signature")
    assert b"pwn" not in rest
    assert before.unchanged()
