"""Run the service as the Procfile does (gunicorn) or the CLI as an operator does (flask)."""

import os
import signal
import subprocess
import sys
import time

import requests

from service.devtools.secantus import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def process_env(app_env):
    """The real environment plus the app's settings, as a Heroku dyno would see them."""
    env = dict(os.environ)
    env.update(app_env)
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    return env


def flask_cli(app_env, *args):
    """Run ``flask --app wsgi ARGS`` in the project root; returns CompletedProcess."""
    return subprocess.run(
        [os.path.join(BIN, "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=process_env(app_env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def procfile_command(name):
    """The command of one Procfile process type, split into argv."""
    with open(os.path.join(ROOT, "Procfile")) as handle:
        for line in handle:
            kind, _, command = line.partition(":")
            if kind.strip() == name:
                return command.split()
    raise KeyError(name)


class Gunicorn:
    """The Procfile's ``web`` process on a free port, with its stdout kept in a log file."""

    def __init__(self, app_env, log_path, workers=2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = process_env({**app_env, "PORT": str(self.port), "WEB_CONCURRENCY": str(workers)})
        self.process = None

    def argv(self):
        """The Procfile's ``web`` command line, with the venv's gunicorn."""
        argv = procfile_command("web")
        argv[0] = os.path.join(BIN, argv[0])
        return argv

    def start(self, timeout=30):
        """Start, and wait until /healthz answers and every worker is up; on failure stops
        what it started and raises RuntimeError with the log."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.argv(), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited {self.process.returncode}:\n{self.logs()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200 and len(
                    children(self.process.pid)
                ) >= int(self.env["WEB_CONCURRENCY"]):
                    return
            except requests.RequestException:  # not listening yet, or too busy to answer within 1 s
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not come up:\n" + self.logs())

    def logs(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def stop(self):
        stop_group(self.process)


def stop_group(process, grace=15):
    """SIGTERM a child started with its own session, SIGKILL its group after ``grace`` s."""
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def children(pid):
    """Live PIDs whose parent is ``pid`` (gunicorn's workers), sorted. Reads /proc (Linux)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return sorted(found)
