"""What one reconcile pass did: counts an operator reads in the log and the CLI's last line."""

from dataclasses import dataclass


@dataclass
class Summary:
    """Counts for one pass; ``ok`` is False when anything failed."""

    checked: int = 0
    healed: int = 0
    still_pending: int = 0
    failed: int = 0
    events_replayed: int = 0
    events_recovered: int = 0
    ledger_posted: int = 0
    calls_resolved: int = 0
    consolidated: int = 0
    sweep: str = "not run"
    # The scheduled window this pass swept in (its end, unix ms), when it ran on schedule.
    sweep_window: int | None = None

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def line(self) -> str:
        return (
            f"checked {self.checked}, healed {self.healed}, still pending {self.still_pending}, "
            f"failed {self.failed}; inbox replayed {self.events_replayed}; "
            f"sweep {self.sweep}, recovered {self.events_recovered} events; "
            f"ledger posted {self.ledger_posted}; stripe calls resolved {self.calls_resolved}; "
            f"periods consolidated {self.consolidated}"
        )
