"""One request's path through the fake, in Stripe's order: log, fault, auth, idempotency,
execute, answer. Transport-free: server.py turns the Response into bytes on a socket."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import time

import stripe

from . import browser, routes
from .errors import FakeStripeError, invalid
from .faults import Fault, FaultPlan
from .forms import parse_form
from .idempotency import MAX_KEY_LENGTH, IdempotencyStore, fingerprint
from .objects import new_id
from .state import Origin, RequestRecord, Store

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Response:
    """What to send; `status` None means close the connection without answering."""

    status: int | None
    body: bytes = b""
    headers: dict = dataclasses.field(default_factory=dict)


def _json(obj: dict) -> bytes:
    # Stripe pretty-prints its JSON; replays must reuse these exact bytes.
    return json.dumps(obj, indent=2).encode("utf-8")


def _api_key(headers) -> str | None:
    auth = headers.get("Authorization") or ""
    if auth.startswith("Bearer "):
        return auth[len("Bearer ") :].strip()
    if auth.startswith("Basic "):  # curl -u sk_test_...:
        try:
            return base64.b64decode(auth[len("Basic ") :]).decode().split(":", 1)[0]
        except ValueError:
            return None
    return None


def _redact(key: str) -> str:
    return key[:8] + "*" * (len(key) - 12) + key[-4:] if len(key) > 12 else "*" * len(key)


class Pipeline:
    """Handles requests against one Store; safe to call from many threads at once."""

    def __init__(
        self, store: Store, faults: FaultPlan, keys: IdempotencyStore, api_key: str, publishable_key: str | None = None
    ) -> None:
        self.store, self.faults, self.keys, self.api_key = store, faults, keys, api_key
        self.publishable_key = publishable_key

    def handle(self, method: str, path: str, query: str, body: bytes, headers) -> Response:
        """Return the response for one request. Guarantees: the request is logged (and so
        counted) before anything else, faulted or not; every answer carries a Request-Id;
        POST idempotency keys behave as Stripe's; a fault acts exactly as its kind says."""
        method = method.upper()
        key = headers.get("Idempotency-Key") if method == "POST" else None
        record = self.store.log_request(RequestRecord(method, path, {}, key, new_id("req", 14)))
        fault = self.faults.take(method, path)
        bad_params = None
        try:
            record.params = parse_form(body.decode("utf-8") if method == "POST" else query)
        except (FakeStripeError, UnicodeDecodeError) as exc:
            bad_params = exc if isinstance(exc, FakeStripeError) else invalid("Invalid body.")
        try:
            response = self._respond(method, path, headers, record, fault, bad_params)
        except FakeStripeError as exc:
            response = _error(exc)
        with self.store.lock:
            record.fault = fault.kind if fault else None
            record.status = response.status
        response.headers.setdefault("Request-Id", record.request_id)
        response.headers.setdefault("Stripe-Version", stripe.api_version)
        response.headers.setdefault("Content-Type", "application/json")
        return response

    def _respond(
        self,
        method: str,
        path: str,
        headers,
        record: RequestRecord,
        fault: Fault | None,
        bad_params: FakeStripeError | None,
    ) -> Response:
        if fault and fault.kind == "reset":
            return Response(None)
        if fault and (fault.kind == "error" or (fault.kind == "saved" and record.idempotency_key is None)):
            raise fault.error()
        if bad_params:
            raise bad_params
        self._authenticate(headers, method, path, record.params)
        if record.idempotency_key is None:
            response = self._run(method, path, record, fault)[0]
        else:
            response = self._keyed(method, path, record, fault)
        # "after": the work is done and saved, but the caller never hears about it.
        return Response(None) if fault and fault.kind == "after" else response

    def _authenticate(self, headers, method: str, path: str, params: dict) -> None:
        # Stripe.js sends the publishable key as a `key` form param, not as a header.
        given = _api_key(headers) or params.pop("key", None)
        if given == self.api_key:
            return
        if self.publishable_key and given == self.publishable_key:
            browser.check_client_access(self.store, method, path, params)
            return
        message = (
            f"Invalid API Key provided: {_redact(given)}"
            if given
            else "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY')."
        )
        raise FakeStripeError(
            401, "invalid_request_error", message, store=False, headers={"WWW-Authenticate": 'Basic realm="Stripe"'}
        )

    def _keyed(self, method: str, path: str, record: RequestRecord, fault: Fault | None) -> Response:
        key = record.idempotency_key or ""  # the caller routes only requests with a key here
        if len(key) > MAX_KEY_LENGTH:
            raise invalid(f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters.")
        claim = self.keys.claim(key, fingerprint(method, path, record.params))
        if claim.outcome == "in_use":
            raise FakeStripeError(
                409,
                "invalid_request_error",
                "There is currently another in-progress request "
                f"using this Idempotent Key: {key}. Please try again later.",
                code="idempotency_key_in_use",
                store=False,
            )
        if claim.outcome == "mismatch":
            raise FakeStripeError(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with "
                "the same parameters they were first used with. Try using a key other than "
                f"'{key}' if you meant to execute a different request.",
                store=False,
            )
        if claim.outcome == "replay" and claim.saved is not None:
            if fault and fault.kind == "delay":
                time.sleep(fault.delay)
            with self.store.lock:
                record.replayed = True
            headers = {"Idempotent-Replayed": "true", "Original-Request": claim.saved.request_id}
            if claim.saved.status >= 500:  # a saved failure replays as the very same failure
                headers["Request-Id"] = claim.saved.request_id
            return Response(claim.saved.status, claim.saved.body, headers)
        if fault and fault.kind == "saved":
            return self._saved_failure(method, path, record, fault, key)
        response: Response | None = None
        keep = False
        try:
            response, keep = self._run(method, path, record, fault)
        finally:
            if keep and response is not None:
                self.keys.finish(key, response.status, response.body, record.request_id)
            else:
                self.keys.finish(key)
        assert response is not None  # _run either returned a Response or raised
        return response

    def _saved_failure(self, method: str, path: str, record: RequestRecord, fault: Fault, key: str) -> Response:
        """Fail with the fault's 5xx and save that failure under the held key (released here)."""
        response = _error(fault.error())
        try:
            if fault.execute:  # the work happened before the failure: only its answer is lost
                self._run(method, path, record, None)
        finally:
            self.keys.finish(key, response.status, response.body, record.request_id)
        return response

    def _run(self, method: str, path: str, record: RequestRecord, fault: Fault | None) -> tuple[Response, bool]:
        """Execute the endpoint; return the response and whether a key may save it."""
        if fault and fault.kind == "delay":
            time.sleep(fault.delay)
        origin = Origin(record.request_id, record.idempotency_key)
        try:
            return Response(200, _json(routes.dispatch(self.store, method, path, record.params, origin))), True
        except FakeStripeError as exc:
            return _error(exc), exc.store
        except Exception as exc:  # a bug in the fake must still look like a Stripe 500
            log.exception("fake Stripe endpoint crashed")
            return _error(FakeStripeError(500, "api_error", f"Fake Stripe crashed: {exc!r}")), False


def _error(exc: FakeStripeError) -> Response:
    return Response(exc.status, _json(exc.body()), dict(exc.headers))
