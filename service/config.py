"""Settings from the environment (twelve-factor), validated once at start-up.

``Settings.from_env`` is called only by ``create_app``. A missing required secret
fails at once with a message naming every missing variable; no value is ever logged.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlparse

from .domain.delivery_schedule import BASE_SECONDS, DEFAULT_BUDGET_SECONDS
from .endpoints import ShopEndpoint, parse_endpoints
from .errors import ServiceError


class ConfigError(ServiceError):
    """The environment cannot run the service; ``problems`` says what to set, one line each."""

    code = "config_error"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration: " + "; ".join(problems))
        self.problems = tuple(problems)

    def lines(self) -> list[str]:
        """One line per problem, as the service's entry points print them on stderr."""
        return [f"configuration error: {problem}" for problem in self.problems]


REQUIRED = ("MONGODB_URI", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")
REQUIRED_MEANING = {
    "MONGODB_URI": "the MongoDB connection string, with the database name in its path",
    "STRIPE_SECRET_KEY": "the Stripe secret key, sk_test_... or sk_live_...",
    "STRIPE_WEBHOOK_SECRET": "the webhook endpoint's signing secret, whsec_...",
}
MISSING_DATABASE_NAME = "MONGODB_URI must name the database in its path, e.g. mongodb+srv://USER:PASSWORD@HOST/payments"
DEFAULT_INBOX_RETENTION_SECONDS = 90 * 86400
# Stripe lists events for 30 days: an inbox row must outlive any redelivery or sweep of it.
MIN_INBOX_RETENTION_SECONDS = 30 * 86400
# Journal records of reads (GET); calls that can move money are kept as long as the ledger.
DEFAULT_JOURNAL_RETENTION_SECONDS = 90 * 86400
MIN_TOKEN_LENGTH = 32
# The Stripe API version the service is written for: stripe-python 16.1.0's pinned one. The
# webhook endpoint must send events in it (README, "Deploying"); a test keeps it equal to stripe.api_version.
STRIPE_API_VERSION = "2026-10-28.endive"
MAX_WEBHOOK_TOLERANCE_SECONDS = 600  # Stripe's libraries use 300; longer only widens the replay window
_DAY, _YEAR = 86400, 366 * 86400
# Inclusive bounds of every numeric setting: no zero that silently turns a check off (a
# tolerance of 0 once disabled the signature's age check), no negative timeout or budget,
# nothing non-finite.
BOUNDS: dict[str, tuple[float, float]] = {
    "stripe_timeout_seconds": (0.1, 60),
    "stripe_retry_attempts": (1, 10),
    "stripe_retry_max_seconds": (0, 120),
    "db_timeout_ms": (10, 60_000),
    "db_socket_timeout_ms": (10, 120_000),
    "db_retry_attempts": (1, 10),
    "db_retry_max_seconds": (0, 120),
    "retry_backoff_seconds": (0, 30),
    "webhook_tolerance_seconds": (1, MAX_WEBHOOK_TOLERANCE_SECONDS),
    "webhook_max_attempts": (1, 100),
    "webhook_deadline_seconds": (0.1, 9),  # Stripe waits 10 s for an answer
    "max_body_bytes": (1024, 10 * 1024 * 1024),
    "body_timeout_seconds": (1, 60),
    "payment_deadline_seconds": (1, _DAY),
    "checkout_expiry_seconds": (60, 30 * _DAY),
    "bank_payment_business_days": (1, 30),
    "voucher_grace_seconds": (0, 7 * _DAY),
    "stripe_search_lag_seconds": (0, 3600),
    "reconcile_interval_seconds": (0.1, _DAY),
    "reconcile_batch": (1, 10_000),
    "reconcile_max_attempts": (1, 1000),
    "reconcile_grace_seconds": (0, _DAY),
    "sweep_lookback_seconds": (0, 30 * _DAY),  # Stripe lists events for 30 days
    "sweep_lease_seconds": (5, 3600),
    "stripe_read_rate": (0.1, 10_000),
    "signature_alert_threshold": (1, 1_000_000),
    "signature_alert_window_seconds": (1, _DAY),
    "inbox_retention_seconds": (MIN_INBOX_RETENTION_SECONDS, 10 * _YEAR),
    "journal_retention_seconds": (_DAY, 10 * _YEAR),
    "consolidation_delay_seconds": (0, 7 * _DAY),
    "trusted_proxy_hops": (0, 5),
    "checkout_limit_per_ip": (1, 10_000_000),
    "checkout_limit_global": (1, 10_000_000),
    "checkout_limit_window_seconds": (1, 3600),
    "outbox_retry_budget_seconds": (60, 30 * _DAY),
    "outbox_alert_after_seconds": (1, 30 * _DAY),
    "outbox_timeout_seconds": (0.1, 30),
    "outbox_backoff_seconds": (0.01, 3600),
    "outbox_interval_seconds": (0.05, 3600),
    "outbox_batch": (1, 10_000),
}


@dataclass(frozen=True)
class Settings:
    mongodb_uri: str = field(repr=False)
    stripe_secret_key: str = field(repr=False)
    webhook_secrets: tuple[str, ...] = field(repr=False)
    stripe_publishable_key: str = ""
    stripe_api_base: str = ""
    # The page loads Stripe.js from here; the dev stack points it at the simulator's stand-in.
    stripe_js_url: str = "https://js.stripe.com/v3/"
    stripe_timeout_seconds: float = 5.0
    stripe_retry_attempts: int = 3
    stripe_retry_max_seconds: float = 12.0
    db_timeout_ms: int = 1500
    db_socket_timeout_ms: int = 3000
    db_retry_attempts: int = 3
    # Acknowledged writes are on a majority of the replica set and in its journal, so a
    # failover cannot roll them back. "majority" or a number of members (1: the primary only).
    db_write_concern: str = "majority"
    db_retry_max_seconds: float = 4.0
    retry_backoff_seconds: float = 0.2
    webhook_tolerance_seconds: int = 300
    webhook_max_attempts: int = 5
    # One database deadline for a whole webhook request, so a 503 leaves well inside Stripe's 10 s.
    webhook_deadline_seconds: float = 6.0
    max_body_bytes: int = 256 * 1024
    # The whole request body must arrive within this (a total, not per read: slow drips too).
    body_timeout_seconds: float = 10.0
    payment_deadline_seconds: int = 900
    checkout_expiry_seconds: int = 86400
    # Payments that take days (domain/deadlines.py): bank transfers and debits are expected
    # within this many business days; a voucher at its own expiry plus this grace.
    bank_payment_business_days: int = 5
    voucher_grace_seconds: int = 3600
    # Stripe's search is eventually consistent (about a minute): after a saved 5xx, the next
    # key generation is used only once a search this long after the failure found nothing.
    stripe_search_lag_seconds: int = 60
    reconcile_interval_seconds: float = 60.0
    reconcile_batch: int = 200
    reconcile_max_attempts: int = 10
    reconcile_grace_seconds: int = 60
    sweep_lookback_seconds: int = 3 * 86400
    # The sweep's lease is renewed before each page it lists, so it can be short: a worker that
    # died mid-sweep (or lost the database while letting go) blocks the others for this long only.
    sweep_lease_seconds: int = 120
    stripe_read_rate: float = 20.0
    # Operator surface: /admin/ is disabled (404) without a token; /metrics is open without one.
    admin_token: str = field(default="", repr=False)
    metrics_token: str = field(default="", repr=False)
    signature_alert_threshold: int = 10
    signature_alert_window_seconds: float = 60.0
    inbox_retention_seconds: int = DEFAULT_INBOX_RETENTION_SECONDS
    journal_retention_seconds: int = DEFAULT_JOURNAL_RETENTION_SECONDS
    # Consolidation: which closed periods the worker consolidates, and how long after a
    # period ends it waits for late events and balance transactions.
    consolidation_periods: str = "hour,day,month"
    consolidation_delay_seconds: int = 3600
    # Checkout rate limits per fixed window, shared by every dyno (counters in the database).
    checkout_limit_per_ip: int = 20
    checkout_limit_global: int = 600
    checkout_limit_window_seconds: int = 60
    # X-Forwarded-For/-Proto are believed for this many proxies (Heroku's router: 1; 0: none).
    trusted_proxy_hops: int = 1
    log_level: str = "INFO"
    # Order events to the shop (service/endpoints.py): SHOP_WEBHOOK_URLS + SHOP_WEBHOOK_SECRETS.
    shop_endpoints: tuple[ShopEndpoint, ...] = field(default=(), repr=False)
    outbox_retry_budget_seconds: int = DEFAULT_BUDGET_SECONDS
    outbox_alert_after_seconds: int = 3600
    outbox_timeout_seconds: float = 5.0
    outbox_backoff_seconds: float = BASE_SECONDS  # the first retry's (jittered) wait; doubles per failure
    outbox_interval_seconds: float = 2.0
    outbox_batch: int = 100

    @property
    def db_name(self) -> str:
        """The database named in the URI path (``from_env`` refuses a URI without one)."""
        return urlparse(self.mongodb_uri).path.lstrip("/")

    @property
    def write_concern(self) -> str | int:
        """``w`` of every write: "majority" or a number of replica-set members."""
        return "majority" if self.db_write_concern == "majority" else int(self.db_write_concern)

    @property
    def livemode(self) -> bool:
        """True when the Stripe key is a live key (events from test mode are then not ours)."""
        return self.stripe_secret_key.startswith(("sk_live_", "rk_live_"))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Settings":
        """Build validated settings from a mapping (``os.environ`` in production).

        Raises ConfigError naming, in one line, every missing, malformed or unsafe variable.
        """
        missing = [name for name in REQUIRED if not env.get(name, "").strip()]
        if missing:
            raise ConfigError([f"{name} is required ({REQUIRED_MEANING[name]})" for name in missing])
        secrets = tuple(s.strip() for s in env["STRIPE_WEBHOOK_SECRET"].split(",") if s.strip())
        values: dict[str, Any] = {
            "mongodb_uri": env["MONGODB_URI"].strip(),
            "stripe_secret_key": env["STRIPE_SECRET_KEY"].strip(),
            "webhook_secrets": secrets,
            "stripe_publishable_key": env.get("STRIPE_PUBLISHABLE_KEY", "").strip(),
            "stripe_api_base": env.get("STRIPE_API_BASE", "").strip().rstrip("/"),
            "admin_token": env.get("ADMIN_TOKEN", "").strip(),
            "metrics_token": env.get("METRICS_TOKEN", "").strip(),
        }
        errors = [] if _database_name(values["mongodb_uri"]) else [MISSING_DATABASE_NAME]
        livemode = values["stripe_secret_key"].startswith(("sk_live_", "rk_live_"))
        values["shop_endpoints"], endpoint_problems = parse_endpoints(env, livemode)
        errors += endpoint_problems
        errors += _token_problems(values["admin_token"], values["metrics_token"])
        for f in fields(cls):
            name = f.name.upper()
            if f.name in values or name not in env:
                continue
            try:
                values[f.name] = _parse(f.type, env[name])
            except ValueError:
                errors.append(f"{name} must be a {_type_name(f.type)}")
                continue
            if f.name in BOUNDS and not _within(values[f.name], *BOUNDS[f.name]):
                errors.append(f"{name} must be from {BOUNDS[f.name][0]:g} to {BOUNDS[f.name][1]:g}")
        concern = values.get("db_write_concern", "majority")
        if concern != "majority" and not (concern.isdigit() and 1 <= int(concern) <= 50):
            errors.append('DB_WRITE_CONCERN must be "majority" or a number of members from 1 to 50')
        if errors:
            raise ConfigError(errors)
        return cls(**values)


def _database_name(uri: str) -> str:
    return urlparse(uri).path.lstrip("/")


def _token_problems(admin: str, metrics: str) -> list[str]:
    """Bearer tokens must be long enough not to be guessed, and the two must differ (the
    scraper's token must not open the admin API)."""
    problems = [
        f"{name} must be at least {MIN_TOKEN_LENGTH} characters"
        for name, token in (("ADMIN_TOKEN", admin), ("METRICS_TOKEN", metrics))
        if 0 < len(token) < MIN_TOKEN_LENGTH
    ]
    if admin and admin == metrics:
        problems.append("ADMIN_TOKEN and METRICS_TOKEN must differ")
    return problems


def _within(value: Any, low: float, high: float) -> bool:
    """``value`` is a finite number in [low, high] (comparisons with nan are all False)."""
    return isinstance(value, (int, float)) and math.isfinite(value) and low <= value <= high


def _parse(kind: Any, text: str) -> Any:
    """``text`` as the field's type (int, float or str; the annotation may be a string)."""
    return {"int": int, "float": float, "str": str}.get(_type_name(kind), str)(text)


def _type_name(kind: Any) -> str:
    return kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
