"""Database commands per kind of webhook delivery and per checkout, counted by pymongo's own
command monitoring: deterministic, so asserted exactly (times are the benchmark's business).

Stored-only events cost one insert; an applied event one presumed conditional update of the
order and one insert of its row, already ``applied``; a duplicate two: the refused insert and
one read by ``_id``, or for a payment event the presumed update (which matches nothing) and
one read by ``_id``; checkout one update beyond the order insert. Every inbox or order
command names its document by ``_id``: none grows with history (no findAndModify, no
unindexed filter)."""

import threading

import pytest
from pymongo import monitoring

from tests.support.helpers import checkout, deliver, new_order


class Commands(monitoring.CommandListener):
    """(command name, collection, filter) of every command sent to one database."""

    def __init__(self):
        self.database, self.seen, self._lock = None, [], threading.Lock()

    def started(self, event):
        if event.database_name != self.database:
            return
        name, command = event.command_name, event.command
        query = command.get("filter") or command.get("query") or {}
        if name == "update":
            query = command["updates"][0]["q"]
        with self._lock:
            self.seen.append((name, command.get(name), query))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    def during(self, action):
        """The commands ``action()`` sends, and its result."""
        with self._lock:
            self.seen = []
        result = action()
        with self._lock:
            return [(name, collection) for name, collection, _ in self.seen], list(self.seen), result


@pytest.fixture(scope="module")
def listener():
    commands = Commands()
    monitoring.register(commands)  # applies to clients created after this (the apps' below)
    return commands


@pytest.fixture
def counted(listener, app):
    listener.database = app.extensions["payments"].settings.db_name
    return listener


def _events_of(fake_stripe, pi_id, *types):
    found = {
        e["type"]: e
        for e in fake_stripe.events
        if (e["data"]["object"].get("payment_intent") or e["data"]["object"]["id"]) == pi_id
    }
    return [found[t] for t in types]


def test_a_new_success_costs_one_order_update_and_one_insert(counted, client, fake_stripe, raw_db):
    """payment_intent.succeeded on a pending order: the presumed order update, then the row
    inserted already applied: 2 commands."""
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    names, _, response = counted.during(lambda: deliver(client, event))
    assert response.get_json()["state"] == "applied"
    assert names == [("update", "orders"), ("insert", "stripe_events")]
    assert raw_db.orders.find_one({"_id": order_id})["status"] == "paid"
    row = raw_db.stripe_events.find_one({"_id": event["id"]})
    assert (row["state"], row["order_id"], row["attempts"]) == ("applied", order_id, 1)


@pytest.mark.parametrize("kind", ["payment_intent.created", "charge.succeeded"])
def test_an_event_that_changes_no_order_is_one_insert_in_its_final_state(counted, client, fake_stripe, raw_db, kind):
    """An ignored type, or a ledger-only one, is stored ``ignored`` by a single insert."""
    _, pi_id = new_order(client)
    fake_stripe.succeed(pi_id)
    (event,) = _events_of(fake_stripe, pi_id, kind)
    names, _, response = counted.during(lambda: deliver(client, event))
    assert response.status_code == 200 and response.get_json()["state"] == "ignored"
    assert names == [("insert", "stripe_events")]
    row = raw_db.stripe_events.find_one({"_id": event["id"]})
    assert row["state"] == "ignored" and row["applied_at"] is not None
    assert row.get("ledger") == ("pending" if kind == "charge.succeeded" else None)


def test_an_event_of_the_other_mode_is_one_insert(counted, client, fake_stripe, raw_db):
    """A live-mode success reaching the test-mode service is stored ``ignored`` in one insert."""
    order_id, pi_id = new_order(client)
    event = dict(fake_stripe.succeed(pi_id), livemode=True)
    names, _, response = counted.during(lambda: deliver(client, event))
    assert response.get_json()["state"] == "ignored" and names == [("insert", "stripe_events")]
    assert raw_db.orders.find_one({"_id": order_id})["status"] == "pending"


@pytest.mark.parametrize("kind", ["payment_intent.succeeded", "payment_intent.created"])
def test_a_duplicate_costs_two_commands_and_changes_nothing(counted, client, fake_stripe, raw_db, kind):
    """A redelivered finished event: the refused insert and one find by ``_id``; a payment
    event's presumed update (matches nothing) and one find by ``_id``. Nothing applied."""
    order_id, pi_id = new_order(client)
    fake_stripe.succeed(pi_id)
    (event,) = _events_of(fake_stripe, pi_id, kind)
    assert deliver(client, event).status_code == 200
    names, seen, response = counted.during(lambda: deliver(client, event))
    assert response.get_json()["duplicate"] is True
    first = ("update", "orders") if kind == "payment_intent.succeeded" else ("insert", "stripe_events")
    assert names == [first, ("find", "stripe_events")]
    assert seen[-1][2] == {"_id": event["id"]}
    assert len(raw_db.orders.find_one({"_id": order_id}).get("history") or []) == (kind == "payment_intent.succeeded")


def test_a_late_event_misses_the_presumed_update_then_reads_and_decides(counted, client, fake_stripe, raw_db):
    """An out-of-order ``processing`` after the success: the presumed update (matches nothing),
    a read of its row (none), the insert, one read of the order, the inbox mark: 5 commands;
    the paid order is left alone."""
    order_id, pi_id = new_order(client)
    late = fake_stripe.process(pi_id)
    assert deliver(client, fake_stripe.succeed(pi_id)).get_json()["state"] == "applied"
    names, _, response = counted.during(lambda: deliver(client, late))
    assert response.get_json()["state"] == "applied"
    assert names == [
        ("update", "orders"),
        ("find", "stripe_events"),
        ("insert", "stripe_events"),
        ("find", "orders"),
        ("update", "stripe_events"),
    ]
    assert raw_db.orders.find_one({"_id": order_id})["status"] == "paid"


def test_checkout_writes_the_order_once_more_to_attach_its_payment_intent(counted, client, raw_db):
    """Beyond the order insert, checkout writes the order exactly once: the PI id, by ``_id``."""
    names, seen, response = counted.during(lambda: checkout(client))
    assert response.status_code == 201
    order_writes = [(name, query) for name, collection, query in seen if collection == "orders" and name != "find"]
    order_id = response.get_json()["order_id"]
    assert order_writes == [("insert", {}), ("update", {"_id": order_id, "payment_intent_id": None})]
    assert ("findAndModify", "orders") not in names
    assert raw_db.orders.find_one({"_id": order_id})["payment_intent_id"] == response.get_json()["payment_intent_id"]


def test_every_hot_path_command_names_its_document_by_id(counted, client, fake_stripe):
    """Each inbox and order command of a realistic delivery mix filters on ``_id`` (flat with history)."""
    _, pi_id = new_order(client)
    fake_stripe.succeed(pi_id)
    stream = _events_of(fake_stripe, pi_id, "payment_intent.created", "charge.succeeded", "payment_intent.succeeded")

    def deliver_all():
        return [deliver(client, event).status_code for event in [*stream, stream[-1]]]

    _, seen, statuses = counted.during(deliver_all)
    assert statuses == [200] * 4
    reads_and_writes = [(name, query) for name, _, query in seen if name != "insert"]
    assert reads_and_writes and all("_id" in query for _, query in reads_and_writes)
    assert not [name for name, _, _ in seen if name in ("findAndModify", "aggregate", "count")]
