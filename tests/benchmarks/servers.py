"""Processes under test: gunicorn exactly as the Procfile runs it (any WSGI target), worker
peak RSS from /proc, and the database's own per-collection command counters (``top``)."""
import os
import subprocess
import time

import requests

from service.devtools.secantus import free_port
from tests.processes import BIN, ROOT, children, process_env, procfile_command, stop_group

SERVICE_TARGET = "wsgi:app"
BARE_TARGET = "tests.benchmarks.bare_app:app"


class GunicornApp:
    """The Procfile's ``web`` command with its WSGI target swapped for ``target``."""

    def __init__(self, target, app_env, log_path, workers=2):
        self.target = target
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = process_env({**app_env, "PORT": str(self.port), "WEB_CONCURRENCY": str(workers)})
        self.process = None

    def argv(self):
        """The command line: the Procfile's, same config, only the app target replaced."""
        argv = procfile_command("web")
        argv[0] = os.path.join(BIN, argv[0])
        return [self.target if arg == SERVICE_TARGET else arg for arg in argv]

    def start(self, timeout=30):
        """Start and wait for /healthz; raises RuntimeError with the log on failure."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.argv(), cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited {self.process.returncode}; see {self.log_path}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200 \
                        and len(self.worker_pids()) >= int(self.env["WEB_CONCURRENCY"]):
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not come up; see {self.log_path}")

    def worker_pids(self):
        """PIDs of the worker processes (children of the gunicorn master)."""
        return children(self.process.pid) if self.process else []

    def peak_rss_mb(self):
        """{worker pid: VmHWM in MiB} — each worker's peak resident set so far."""
        return {pid: peak_rss_mb(pid) for pid in self.worker_pids()}

    def stop(self):
        """SIGTERM the process group, SIGKILL after 15 s."""
        stop_group(self.process)



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
    return sum(section["total"]["count"] for ns, section in totals.items()
               if ns.startswith(prefix) and isinstance(section, dict) and "total" in section)
