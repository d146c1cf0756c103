"""Strict, whole-string validation of every identifier and email a client or operator can
send: a valid value with a trailing newline (or any other addition) is refused everywhere,
and no pattern in the service is anchored with ``$`` (which matches before a final newline)."""

import pathlib
import re

import pytest

from service.domain import identifiers
from service.domain.catalog import validate_catalog
from service.domain.checkout import check_idempotency_key, parse_checkout
from service.domain.events import check_event_shape
from service.errors import ValidationFailed, WebhookRejected
from tests.support.helpers import checkout

ROOT = pathlib.Path(__file__).resolve().parent.parent
VALID = {
    "SKU": "tee-1.b_2",
    "CURRENCY": "usd",
    "KEY": "order-42:retry",
    "ORDER_ID": "ord_" + "a" * 32,
    "EVENT_ID": "evt_1NG8Du2eZvKYlo2C",
    "CONSOLIDATION_RUN_ID": "day:2026-12-01@20261202T010203-1a2b3c",
    "REQUEST_ID": "req-1.2_3",
    "EMAIL": "ada@example.com",
}
SUFFIXES = ["\n", "\r\n", "\x00", " ", "\n\n", "\u2028"]


@pytest.mark.parametrize("name", sorted(VALID))
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_every_identifier_pattern_refuses_a_valid_value_with_anything_appended(name, suffix):
    """Each pattern accepts its valid example and refuses it with a newline (or NUL, space,
    separator) appended or prepended."""
    pattern = getattr(identifiers, name)
    assert identifiers.valid(pattern, VALID[name])
    assert not identifiers.valid(pattern, VALID[name] + suffix)
    assert not identifiers.valid(pattern, suffix + VALID[name])
    assert not identifiers.valid(pattern, 7) and not identifiers.valid(pattern, None)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_checkout_refuses_an_email_sku_or_key_with_a_trailing_newline(suffix):
    """The checkout body's email and SKUs, and the Idempotency-Key, are matched whole."""
    with pytest.raises(ValidationFailed) as email:
        parse_checkout({"items": [{"sku": "tee", "quantity": 1}], "email": "a@b.co" + suffix})
    assert email.value.code == "invalid_email"
    with pytest.raises(ValidationFailed) as sku:
        parse_checkout({"items": [{"sku": "tee" + suffix, "quantity": 1}]})
    assert sku.value.code == "invalid_sku"
    with pytest.raises(ValidationFailed):
        check_idempotency_key("key" + suffix)
    with pytest.raises(ValidationFailed):
        validate_catalog([{"sku": "tee" + suffix, "name": "T", "unit_amount": 1, "currency": "usd"}])
    with pytest.raises(ValidationFailed):
        validate_catalog([{"sku": "tee", "name": "T", "unit_amount": 1, "currency": "usd" + suffix}])
    event = {"id": "evt_1" + suffix, "type": "x", "created": 1, "data": {"object": {}}}
    with pytest.raises(WebhookRejected):
        check_event_shape(event)


def test_the_email_of_the_attack_run_is_a_422_and_stores_nothing(client, raw_db):
    """``"a@b.co\\n"`` (stored by the attack run) is a 422 invalid_email; no order is created."""
    response = checkout(client, email="a@b.co\n")
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_email"
    assert raw_db.orders.count_documents({}) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/orders/ord_" + "a" * 32 + "%0A",
        "/admin/orders/ord_" + "a" * 32 + "%0A",
        "/admin/consolidations/day:2026-12-01%0A",
    ],
)
def test_ids_in_paths_are_matched_whole_and_never_echoed(make_app, path):
    """An order or run id with a trailing newline is a 404 whose message does not echo it."""
    client = make_app(ADMIN_TOKEN="a" * 40, METRICS_TOKEN="b" * 40).test_client()
    response = client.get(path, headers={"Authorization": "Bearer " + "a" * 40})
    assert response.status_code == 404
    assert "\n" not in response.get_json()["error"]["message"]


def test_no_pattern_in_the_service_is_anchored_with_a_dollar():
    """``$`` matches before a final newline: the service's patterns use ``fullmatch`` (or
    ``\\Z``), so no regular expression literal in production code (service/ less the dev
    tools) ends its match with ``$``."""
    offenders = []
    for path in (ROOT / "service").rglob("*.py"):
        if "devtools" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"""(re\.(compile|match|search|fullmatch)\(|regex=)\s*r?f?["'][^"']*\$["']""", line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, offenders
