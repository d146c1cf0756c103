"""The dependencies every handler takes: wired once by ``create_app``, passed explicitly."""

from dataclasses import dataclass
from typing import Any

from ..config import Settings
from ..gateway import StripeGateway
from ..observability.alerts import SlidingWindowAlarm
from ..store import Store


@dataclass(frozen=True)
class Services:
    """Everything a handler may touch: configuration, the database, Stripe, and this
    process's signature-failure alarm (None outside a web process)."""

    settings: Settings
    store: Store
    gateway: StripeGateway
    signature_alarm: SlidingWindowAlarm | None = None


EXTENSION = "payments"  # the key under which create_app stores Services in ``app.extensions``


def services_of(app: Any) -> Services:
    """The Services ``create_app`` wired into ``app`` (a Flask app, e.g. ``current_app``)."""
    services: Services = app.extensions[EXTENSION]
    return services
