"""Find gunicorn's workers and the worker serving one client connection, from /proc.

Linux only (the CI and these machines are Linux). Used to SIGKILL the worker that holds
an in-flight request, and to prove that concurrent deliveries reached different workers.
"""

import os
import time

from tests.support.processes import children


def worker_pids(master_pid):
    """The pids whose parent is ``master_pid`` (gunicorn's workers), sorted."""
    return children(master_pid)


def wait_for_workers(master_pid, count, exclude=(), timeout=15.0):
    """Wait until ``count`` live workers exist, none of them in ``exclude``; returns them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = worker_pids(master_pid)
        if len(pids) == count and not set(pids) & set(exclude):
            return pids
        time.sleep(0.05)
    raise AssertionError(f"gunicorn did not get back to {count} workers: {worker_pids(master_pid)}")


def _socket_inodes(server_port, client_port):
    """Inodes of established TCP sockets local ``server_port`` <-> remote ``client_port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as handle:
                next(handle)
                for line in handle:
                    fields = line.split()
                    local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
                    if (
                        state == "01"
                        and int(local.rsplit(":", 1)[1], 16) == server_port
                        and int(remote.rsplit(":", 1)[1], 16) == client_port
                    ):
                        inodes.add(inode)
        except OSError:
            continue
    return inodes


def worker_serving(master_pid, server_port, client_port):
    """The worker pid that holds the server side of the client's connection, or None."""
    wanted = {f"socket:[{inode}]" for inode in _socket_inodes(server_port, client_port)}
    if not wanted:
        return None
    for pid in worker_pids(master_pid):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in wanted:
                    return pid
            except OSError:
                continue
    return None
