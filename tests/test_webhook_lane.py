"""The webhook lane (service/http/webhook_lane.py): POST /webhooks/stripe answered past Flask
with the same request log line, headers and error mapping as every other route."""

import dataclasses

from flask import Flask

from service.handlers.services import EXTENSION
from service.http.webhook_lane import PATH, WebhookLane
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


def test_another_method_on_the_webhook_path_is_a_json_405_naming_post(client, log_lines):
    """GET on the webhook path answers 405 with ``Allow: POST`` and the JSON error shape."""
    answer = client.get(PATH)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"
    assert answer.get_json()["error"]["code"] == "method_not_allowed"
    [line] = _request_lines(log_lines)
    assert line["method"] == "GET" and line["status"] == 405


class _BrokenGateway:
    """A gateway whose signature check fails with a bug (not a ServiceError)."""

    def verify_webhook(self, payload, header):
        raise RuntimeError("a bug in the gateway")


def test_a_bug_behind_the_lane_is_a_json_500_logged_with_its_traceback(services, log_lines):
    """An unexpected exception is answered 500 ``internal_error`` without details and logged
    with its traceback, through the same mapping as Flask's routes."""
    app = Flask("lane-test")
    app.config.update(MAX_CONTENT_LENGTH=1024, BODY_TIMEOUT_SECONDS=5)
    app.extensions[EXTENSION] = dataclasses.replace(services, gateway=_BrokenGateway())
    app.wsgi_app = WebhookLane(app, app.wsgi_app)
    answer = app.test_client().post(PATH, data=b"{}", headers={"Content-Type": "application/json"})
    assert answer.status_code == 500
    assert answer.get_json() == {"error": {"code": "internal_error", "message": "internal error"}}
    [bug] = [line for line in log_lines() if line["msg"] == "unhandled error"]
    assert "a bug in the gateway" in bug["exc"] and bug["path"] == PATH
    [line] = _request_lines(log_lines)
    assert line["status"] == 500 and line["error"] == "internal_error"


def test_other_routes_still_go_through_flask(client, log_lines):
    """A path beside the lane's (a trailing slash) is Flask's: its 404, its log line."""
    answer = client.post(PATH + "/", data=b"{}", headers={"Content-Type": "application/json"})
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"
    assert _request_lines(log_lines, PATH + "/")[0]["status"] == 404
