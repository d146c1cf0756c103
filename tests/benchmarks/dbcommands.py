"""Database commands per event, counted by pymongo command monitoring in this process.

``CommandCounter`` must be registered (``pymongo.monitoring.register``) before any
MongoClient is created — a substitution at the driver's own monitoring boundary, not a
patch. ``commands_per_kind`` then pushes a sample of pre-signed deliveries through an
in-process WSGI app (the service's ``create_app()`` or the bare receiver) and returns the
average number of commands each kind of delivery cost, and their names.
"""

import threading
from collections import Counter

from pymongo import monitoring
from werkzeug.test import Client


def command_shape(event):
    """``name collection {top-level filter keys}`` — which query a command is, not its values."""
    command = event.command
    target = command.get(event.command_name)
    query = command.get("filter") or command.get("query") or {}
    if event.command_name == "update":
        query = (command.get("updates") or [{}])[0].get("q") or {}
    elif event.command_name == "aggregate":
        query = ((command.get("pipeline") or [{}])[0]).get("$match") or {}
    return f"{event.command_name} {target if isinstance(target, str) else ''} {{{','.join(sorted(query))}}}"


class CommandCounter(monitoring.CommandListener):
    """Counts commands sent to one database (``database``) by name, and per query shape the
    client-side duration and documents returned (``timings``: shape -> [count, µs, docs])."""

    def __init__(self):
        self.database = None
        self.counts = Counter()
        self.timings = {}
        self._pending = {}
        self._lock = threading.Lock()

    def started(self, event):
        if event.database_name == self.database:
            with self._lock:
                self.counts[event.command_name] += 1
                self._pending[(event.connection_id, event.request_id)] = command_shape(event)

    def succeeded(self, event):
        self._finish(event)

    def failed(self, event):
        self._finish(event)

    def _finish(self, event):
        with self._lock:
            shape = self._pending.pop((event.connection_id, event.request_id), None)
            if shape is not None:
                slot = self.timings.setdefault(shape, [0, 0, 0])
                slot[0] += 1
                slot[1] += event.duration_micros
                cursor = (getattr(event, "reply", None) or {}).get("cursor") or {}
                slot[2] += len(cursor.get("firstBatch") or cursor.get("nextBatch") or ())

    def take(self):
        """Return the counts so far and start again from zero (timings too)."""
        with self._lock:
            counts, self.counts, self.timings = self.counts, Counter(), {}
        return counts

    def take_timings(self):
        """Return {shape: (count, total ms, documents returned)} so far and start again from
        zero (counts too)."""
        with self._lock:
            timings, self.timings, self.counts = self.timings, {}, Counter()
        return {shape: (n, round(us / 1000, 1), docs) for shape, (n, us, docs) in timings.items()}


def commands_per_kind(wsgi_app, counter, database, stream):
    """Deliver every (kind, spec) of ``stream`` in order to ``wsgi_app``; returns
    {kind: {"events", "per_event", "commands", "statuses"}} (commands averaged per event).

    The first delivery is a warm-up (connection set-up) and is not counted.
    """
    client = Client(wsgi_app)
    counter.database = database
    seen, totals, names, statuses = Counter(), Counter(), {}, {}
    for index, (kind, spec) in enumerate(stream):
        counter.take()
        response = client.post(spec["p"], data=spec["b"].encode("utf-8"), headers=spec["h"])
        counts = counter.take()
        if index == 0:
            continue
        seen[kind] += 1
        totals[kind] += sum(counts.values())
        names.setdefault(kind, Counter()).update(counts)
        statuses.setdefault(kind, Counter())[response.status_code] += 1
    return {
        kind: {
            "events": seen[kind],
            "per_event": round(totals[kind] / seen[kind], 2),
            "commands": {name: round(n / seen[kind], 2) for name, n in sorted(names[kind].items())},
            "statuses": dict(statuses[kind]),
        }
        for kind in seen
    }
