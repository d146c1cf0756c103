"""The event types the service handles are derived from the code's tables, and the README's
`stripe listen --events` list and recommended endpoint configuration list exactly those."""

import re
from pathlib import Path

import stripe

from service.domain import event_types
from service.domain.annotations import NOTE_EVENTS
from service.domain.ledger_events import LEDGER_EVENTS
from service.domain.orders import EVENT_TRIGGERS
from service.domain.radar import RADAR_EVENTS
from service.handlers.sweep import SWEPT_GROUPS
from tests.support.processes import ROOT
from tests.support.stripe_types import literal_values, resolved_hints

README = (Path(ROOT) / "README.md").read_text()


def test_handled_types_are_the_union_of_the_codes_tables():
    """Order triggers, annotations, Radar and the ledger's money events, nothing else."""
    derived = set(EVENT_TRIGGERS) | set(NOTE_EVENTS) | set(RADAR_EVENTS) | set(LEDGER_EVENTS)
    assert set(event_types.HANDLED_TYPES) == derived
    assert {"review.opened", "review.closed", "radar.early_fraud_warning.created"} <= derived


def test_every_handled_type_is_one_the_pinned_stripe_python_knows():
    """A typo in a table would subscribe to nothing: each type is in stripe.Event.type's Literal."""
    assert set(event_types.HANDLED_TYPES) <= literal_values(resolved_hints(stripe.Event)["type"])


def test_the_stripe_listen_command_lists_exactly_the_handled_types():
    """README's `stripe listen --events a,b,...` equals HANDLED_TYPES (no more, no fewer)."""
    listed = re.search(r"--events (\S+)", README).group(1).split(",")
    assert len(listed) == len(set(listed))
    assert set(listed) == set(event_types.HANDLED_TYPES)


def test_the_recommended_endpoint_configuration_lists_exactly_the_handled_types():
    """The list between the `<!-- endpoint-events -->` markers equals HANDLED_TYPES."""
    between = README.split("<!-- endpoint-events -->")
    assert len(between) == 3, "README needs exactly one pair of endpoint-events markers"
    listed = re.findall(r"`([a-z_.]+)`", between[1])
    assert len(listed) == len(set(listed))
    assert set(listed) == set(event_types.HANDLED_TYPES)


def test_the_sweep_asks_for_at_most_20_types_per_request_and_for_all_of_them():
    """Stripe's Events API takes at most 20 types[]: the groups respect it and cover every type."""
    assert len(event_types.HANDLED_TYPES) > 20  # so the grouping is exercised, not assumed
    assert all(1 <= len(group) <= event_types.MAX_TYPES_PER_REQUEST for group in SWEPT_GROUPS)
    flat = [kind for group in SWEPT_GROUPS for kind in group]
    assert sorted(flat) == sorted(event_types.HANDLED_TYPES)


def test_sweep_groups_split_any_number_of_types():
    """45 types make groups of 20, 20 and 5, in sorted order."""
    types = frozenset(f"t.{index:02d}" for index in range(45))
    groups = event_types.sweep_groups(types)
    assert [len(group) for group in groups] == [20, 20, 5]
    assert groups[0][0] == "t.00" and groups[-1][-1] == "t.44"
