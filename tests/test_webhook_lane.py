"""The webhook lane (service/http/webhook_lane.py): POST /webhooks/stripe answered past Flask
with the same request log line, headers and error mapping as every other route."""

import dataclasses

import pytest

from service.handlers.services import EXTENSION
from service.http.webhook_lane import PATH
from tests.support.helpers import new_order, signed


def _request_lines(log_lines, path=PATH):
    return [line for line in log_lines() if line["msg"] == "request" and line["path"] == path]


def test_a_delivery_logs_one_request_line_with_its_ids_and_echoes_the_request_id(
    client, services, fake_stripe, log_lines
):
    """One "request" line per delivery: method, status, duration, the caller's valid request id
    (echoed in X-Request-Id), the client IP the trusted proxy saw, the event and the order."""
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    body, signature = signed(event)
    headers = {
        "Content-Type": "application/json",
        "Stripe-Signature": signature,
        "X-Request-Id": "req-lane-0001",
        "X-Forwarded-For": "203.0.113.9",
    }
    answer = client.post(PATH, data=body, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["state"] == "applied"
    assert answer.headers["X-Request-Id"] == "req-lane-0001"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "order_id" not in answer.get_json()  # the log line's, not the reply's
    [line] = _request_lines(log_lines)
    assert line["method"] == "POST" and line["status"] == 200 and line["duration_ms"] >= 0
    assert line["request_id"] == "req-lane-0001" and line["client_ip"] == "203.0.113.9"
    assert line["event_id"] == event["id"] and line["order_id"] == order_id
    assert "error" not in line


def test_an_invalid_request_id_is_replaced_and_a_bad_signature_is_logged_as_its_error(client, log_lines):
    """A request id that is not a valid one gets a fresh id; a 400 names its error code in the
    reply and in the log line."""
    answer = client.post(
        PATH,
        data=b"{}",
        headers={"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=00", "X-Request-Id": "no spaces!"},
    )
    assert answer.status_code == 400
    code = answer.get_json()["error"]["code"]
    request_id = answer.headers["X-Request-Id"]
    assert request_id != "no spaces!" and len(request_id) == 32
    [line] = _request_lines(log_lines)
    assert line["status"] == 400 and line["error"] == code and line["request_id"] == request_id


def test_another_method_on_the_webhook_path_is_a_json_405_and_options_lists_post(client, log_lines):
    """GET answers 405 with the JSON error shape; OPTIONS answers 200 with an empty body; both
    say ``Allow: OPTIONS, POST``, as Flask says it for the other POST-only route."""
    answer = client.get(PATH)
    assert answer.status_code == 405
    assert answer.get_json()["error"]["code"] == "method_not_allowed"
    options = client.options(PATH)
    assert options.status_code == 200 and options.data == b""
    flask = [client.options("/checkout"), client.get("/checkout")]
    allowed = [set(a.headers["Allow"].split(", ")) for a in (answer, options, *flask)]  # Flask's order varies
    assert allowed == [{"OPTIONS", "POST"}] * 4
    lines = _request_lines(log_lines)
    assert [(line["method"], line["status"]) for line in lines] == [("GET", 405), ("OPTIONS", 200)]


@pytest.mark.parametrize(
    "headers, body",
    [
        ({"Content-Type": "text/plain"}, b"{}"),  # 415
        ({"Content-Type": "application/json", "Content-Length": "999999999"}, b"{}"),  # 413
        ({"Content-Type": "application/json", "X-Forwarded-Proto": "https"}, b"{"),  # 400 / 422, over https
    ],
)
def test_the_lane_answers_an_error_with_the_same_headers_as_flask(client, headers, body):
    """The same bad request on the lane and on Flask's /checkout: the same security headers,
    a request id, a JSON error body; for the same fault, the same status and error."""
    lane, flask = (client.post(path, data=body, headers=headers) for path in (PATH, "/checkout"))
    names = ("X-Content-Type-Options", "Strict-Transport-Security", "Content-Type")
    assert [lane.headers.get(n) for n in names] == [flask.headers.get(n) for n in names]
    assert len(lane.headers["X-Request-Id"]) == len(flask.headers["X-Request-Id"]) == 32
    assert set(lane.get_json()["error"]) == set(flask.get_json()["error"]) == {"code", "message"}
    if lane.status_code in (413, 415):
        assert (lane.status_code, lane.get_json()) == (flask.status_code, flask.get_json())


class _BrokenGateway:
    """A gateway whose signature check fails with a bug (not a ServiceError)."""

    def verify_webhook(self, payload, header):
        raise RuntimeError("a bug in the gateway")


def test_a_bug_behind_the_lane_is_a_json_500_logged_with_its_traceback(app, services, log_lines):
    """An unexpected exception is answered 500 ``internal_error`` without details and logged
    with its traceback, through the same mapping as Flask's routes."""
    app.extensions[EXTENSION] = dataclasses.replace(services, gateway=_BrokenGateway())
    answer = app.test_client().post(PATH, data=b"{}", headers={"Content-Type": "application/json"})
    assert answer.status_code == 500
    assert answer.get_json() == {"error": {"code": "internal_error", "message": "internal error"}}
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    [bug] = [line for line in log_lines() if line["msg"] == "unhandled error"]
    assert "a bug in the gateway" in bug["exc"] and bug["path"] == PATH
    [line] = _request_lines(log_lines)
    assert line["status"] == 500 and line["error"] == "internal_error"


def test_other_routes_still_go_through_flask(client, log_lines):
    """A path beside the lane's (a trailing slash) is Flask's: its 404, its log line."""
    answer = client.post(PATH + "/", data=b"{}", headers={"Content-Type": "application/json"})
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"
    assert _request_lines(log_lines, PATH + "/")[0]["status"] == 404
