"""Processes under test: gunicorn exactly as the Procfile runs it (any WSGI target), worker
peak RSS from /proc, and the database's own per-collection command counters (``top``)."""

import os

from tests.support.processes import Gunicorn, children

SERVICE_TARGET = "wsgi:app"
BARE_TARGET = "tests.benchmarks.bare_app:app"


class GunicornApp(Gunicorn):
    """The Procfile's ``web`` command with its WSGI target swapped for ``target`` and
    ``extra`` gunicorn options before it (the command line wins over the config file)."""

    def __init__(self, app_env, log_path, workers=2, target=SERVICE_TARGET, extra=()):
        super().__init__(app_env, log_path, workers)
        self.target, self.extra = target, list(extra)

    def argv(self):
        """The command line: the Procfile's, same config, the app target replaced, ``extra`` added."""
        argv = [self.target if arg == SERVICE_TARGET else arg for arg in super().argv()]
        return [*argv[:-1], *self.extra, argv[-1]]

    def worker_pids(self):
        """PIDs of the worker processes (children of the gunicorn master)."""
        return children(self.process.pid) if self.process else []

    def peak_rss_mb(self):
        """{worker pid: VmHWM in MiB} — each worker's peak resident set so far."""
        return {pid: peak_rss_mb(pid) for pid in self.worker_pids()}


def cpu_seconds(pids):
    """User + system CPU seconds used so far by ``pids`` (gone processes count 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def peak_rss_mb(pid):
    """VmHWM (peak resident set size) of ``pid`` in MiB, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def namespace_commands(client, db_name):
    """Commands the server has run against ``db_name``'s collections so far (``top``).

    Counts every CRUD/findAndModify/etc. command attributed to a namespace; driver
    heartbeats and handshakes (no namespace) are not included.
    """
    totals = client.admin.command("top")["totals"]
    prefix = db_name + "."
    return sum(
        section["total"]["count"]
        for ns, section in totals.items()
        if ns.startswith(prefix) and isinstance(section, dict) and "total" in section
    )
