"""The JSON log line: every secret shape masked, and the line json itself would write
(observability/logs.py writes it with orjson and cheap pre-checks)."""

import json
import logging
from datetime import UTC, datetime

import pytest

from service.observability.logs import REDACTED, JsonFormatter, redact

SECRETS = [
    "sk_live_51Habc",
    "rk_test_XYZ09",
    "pk_test_abc",
    "whsec_abc+/=_-",
    "pi_3Nabc_secret_Zyx09",
    "mongodb://user:pass@db.example:27017/payments",
    "mongodb+srv://user:pass@cluster.example/payments",
]


@pytest.mark.parametrize("secret", SECRETS)
def test_every_secret_shape_is_masked_inside_any_string(secret):
    """A secret value never survives redaction, alone or inside other text."""
    line = redact({"detail": f"calling with {secret} now", "list": [secret]})
    assert secret not in json.dumps(line)
    assert REDACTED in line["detail"] and REDACTED in line["list"][0]


def test_secret_named_fields_are_masked_and_ordinary_values_kept():
    """Keys naming a secret are masked whatever their value; ids and text stay as they are."""
    fields = {"api_key": "anything", "Authorization": "Bearer x", "event_id": "evt_1", "order_id": "ord_test1"}
    assert redact(fields) == {
        "api_key": REDACTED,
        "Authorization": REDACTED,
        "event_id": "evt_1",
        "order_id": "ord_test1",
    }


def _line(fields):
    record = logging.LogRecord("service.http", logging.INFO, __file__, 1, "request", None, None)
    record.fields = fields
    return JsonFormatter().format(record)


def test_the_line_is_what_json_writes():
    """Datetimes by str, non-ASCII escaped, large integers kept: json's own output."""
    fields = {"at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "name": "café", "big": 2**70, "n": 1.5, "none": None}
    line = _line(fields)
    entry = json.loads(line)
    assert {key: entry[key] for key in fields} == json.loads(json.dumps(fields, default=str))
    assert line.endswith(json.dumps(fields, default=str, separators=(",", ":"))[1:])
    assert line.isascii()
