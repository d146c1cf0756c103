"""Start, kill and restart a SecantusDB daemon (MongoDB wire protocol over WiredTiger).

Used by the tests and the local dev stack; production points MONGODB_URI at MongoDB.
The daemon runs as a child process so a test can SIGKILL it and start it again on the
same port and data directory (data survives, as with mongod).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import pymongo


def free_port():
    """An unused TCP port on 127.0.0.1 (best effort: another process may take it later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _daemon_command():
    found = shutil.which("secantusd-py", path=os.path.dirname(sys.executable)) or shutil.which("secantusd-py")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from secantus.cli import main; sys.exit(main())"]


class SecantusServer:
    """One daemon on ``port`` with its data in ``data_dir``; ``uri(db)`` names a database."""

    def __init__(self, data_dir, port=None, test_commands=True, log_path=None):
        self.data_dir = data_dir
        self.port = port or free_port()
        self.test_commands = test_commands
        self.log_path = log_path or os.path.join(data_dir, "secantusd.log")
        self.process = None

    def uri(self, db_name=""):
        """A MongoDB URI for this daemon (direct connection, no replica-set discovery)."""
        return f"mongodb://127.0.0.1:{self.port}/{db_name}?directConnection=true"

    def start(self, timeout=30.0):
        """Start the daemon and wait until it answers a ping. Raises RuntimeError on failure."""
        os.makedirs(self.data_dir, exist_ok=True)
        args = [
            *_daemon_command(),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--storage-path",
            self.data_dir,
            "--log-level",
            "WARNING",
        ]
        if self.test_commands:
            args.append("--enable-test-commands")
        with open(self.log_path, "ab") as log:  # the daemon keeps its own copy of the descriptor
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            self.uri(), serverSelectionTimeoutMS=250, connectTimeoutMS=250
        )
        try:
            while time.monotonic() < deadline:
                if self.process is None or self.process.poll() is not None:
                    code = self.process.returncode if self.process else None
                    raise RuntimeError(f"secantusd exited with {code}; see {self.log_path}")
                try:
                    client.admin.command("ping")
                    return
                except pymongo.errors.PyMongoError:
                    time.sleep(0.1)
            raise RuntimeError(f"secantusd not ready after {timeout}s; see {self.log_path}")
        finally:
            client.close()

    def kill(self):
        """SIGKILL the daemon (no clean shutdown) and wait for it to die."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self):
        """Stop the daemon cleanly (SIGTERM, then SIGKILL after 10 s)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self, timeout=30.0):
        """Start again on the same port and data directory."""
        return self.start(timeout)

    def fail_point(self, mode, data):
        """Arm (or, with mode "off", disarm) mongod's ``failCommand`` fail point."""
        arm_fail_point(self.uri(), mode, data)


def arm_fail_point(uri, mode, data):
    """Configure ``failCommand`` on the server at ``uri`` (needs test commands enabled)."""
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(uri, serverSelectionTimeoutMS=2000)
    try:
        client.admin.command({"configureFailPoint": "failCommand", "mode": mode, "data": data})
    finally:
        client.close()
