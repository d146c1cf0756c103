"""What applying an event produced; shared by the webhook path and the annotation path."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What happened to one event: inbox ``state``, a human ``detail``, the order touched."""

    event_id: str
    state: str
    detail: str
    order_id: str | None = None
    duplicate: bool = False


@dataclass(frozen=True)
class Applied:
    """The result of applying one fact: inbox ``state``, ``detail``, the order, whether it changed."""

    state: str
    detail: str
    order_id: str | None = None
    changed: bool = False
