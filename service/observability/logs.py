"""JSON logs on stdout, one object per line, with secrets redacted.

Every record becomes ``{"ts", "level", "logger", "msg", ...fields}``. Fields are passed
with ``extra={"fields": {...}}`` (see ``log``). Redaction runs on every record, so a
secret cannot reach stdout even if a caller passes one by mistake: keys that name a
secret are masked and Stripe secret shapes (``sk_live_…``, ``whsec_…``,
``pi_…_secret_…``) are masked inside any string.
"""

import functools
import json
import logging
import re
import sys
import time
from typing import Any, TextIO

import orjson

_SECRET_KEYS = re.compile(r"secret|password|authorization|api_key|token|signature", re.I)
_SECRET_VALUES = re.compile(
    r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]+"
    r"|whsec_[A-Za-z0-9+/=_-]+"
    r"|[A-Za-z0-9]+_secret_[A-Za-z0-9]+"
    r"|mongodb(?:\+srv)?://[^@\s/]+@"
)
REDACTED = "[redacted]"


def redact(value: Any) -> Any:
    """Return ``value`` with secret-looking keys and substrings masked (never raises)."""
    if isinstance(value, dict):
        return {k: (REDACTED if _secret_key(k) else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _SECRET_VALUES.sub(REDACTED, value) if _may_hold_secret(value) else value
    return value


def _may_hold_secret(text: str) -> bool:
    # Every _SECRET_VALUES match contains one of these (the pattern is case-sensitive): a
    # string holding none of them (most log values) skips the pattern. Spelt out: no genexpr.
    return "_live_" in text or "_test_" in text or "whsec_" in text or "_secret_" in text or "mongodb" in text


@functools.lru_cache(maxsize=1024)
def _secret_key(key: Any) -> bool:
    # Field names come from a small fixed set: one regex search per name per process.
    return _SECRET_KEYS.search(str(key)) is not None


@functools.lru_cache(maxsize=4)
def _second(seconds: int) -> str:
    # One strftime per second of log lines, not one per line.
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


# Datetimes and dataclasses go to ``default=str`` as with json, not orjson's own forms.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _dumps(entry: dict[str, Any]) -> str:
    """The line as ``json.dumps(entry, default=str, separators=(",", ":"))`` writes it:
    orjson (several times faster, on the line every request writes) when its output is
    ASCII and the same, json itself otherwise (non-ASCII text, which json escapes; an
    integer beyond 64 bits or a non-str key, which orjson refuses)."""
    try:
        text = orjson.dumps(entry, default=str, option=_ORJSON_OPTIONS).decode("utf-8")
    except TypeError:
        text = ""
    return text if text.isascii() and text else json.dumps(entry, default=str, separators=(",", ":"))


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line with redacted fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": f"{_second(int(record.created))}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return _dumps(redact(entry))


def configure(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Route the ``service`` loggers to ``stream`` (stdout) as JSON. Idempotent."""
    logger = logging.getLogger("service")
    logger.setLevel(level.upper())
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)


def log(logger: logging.Logger, level: int, msg: str, exc_info: Any = False, **fields: Any) -> None:
    """Log ``msg`` with structured ``fields`` (None values dropped); never raises."""
    logger.log(level, msg, exc_info=exc_info, extra={"fields": {k: v for k, v in fields.items() if v is not None}})
