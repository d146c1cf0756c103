"""Counting attempts of one attack class and what became of them."""

from dataclasses import dataclass, field


@dataclass
class Tally:
    """Attempts of one attack class: how many, and which succeeded (with what happened)."""

    name: str
    what: str
    attempts: int = 0
    succeeded: list = field(default_factory=list)

    def held(self, ok, detail=""):
        """Count one attempt; ``ok`` is True when the service held (refused or answered as designed)."""
        self.attempts += 1
        if not ok:
            self.succeeded.append(str(detail)[:300])
        return ok

    @property
    def row(self):
        return (self.name, self.what, self.attempts, self.attempts - len(self.succeeded), len(self.succeeded))
