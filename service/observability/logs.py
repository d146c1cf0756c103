"""JSON logs on stdout, one object per line, with secrets redacted.

Every record becomes ``{"ts", "level", "logger", "msg", ...fields}``. Fields are passed
with ``extra={"fields": {...}}`` (see ``log``). Redaction runs on every record, so a
secret cannot reach stdout even if a caller passes one by mistake: keys that name a
secret are masked and Stripe secret shapes (``sk_live_…``, ``whsec_…``,
``pi_…_secret_…``) are masked inside any string.
"""

import json
import logging
import re
import sys
import time
from typing import Any, TextIO

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
        return {k: (REDACTED if _SECRET_KEYS.search(str(k)) else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _SECRET_VALUES.sub(REDACTED, value)
    return value


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line with redacted fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(redact(entry), default=str, separators=(",", ":"))


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
