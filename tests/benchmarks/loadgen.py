"""External HTTP load generator (stdlib asyncio, keep-alive HTTP/1.1), run as its own process.

    python -m tests.benchmarks.loadgen --url http://127.0.0.1:8000 --requests reqs.jsonl \\
        closed --connections 16 --duration 10 --warmup 2
    python -m tests.benchmarks.loadgen --url ... --requests reqs.jsonl open --rate 150 --duration 10

``closed``: N connections each send the next request as soon as the previous answer
arrives (saturation throughput). ``open``: requests are *scheduled* at a fixed rate,
whatever the server does, and latency is measured from the scheduled time, so a slow
server cannot hide its queueing (no coordinated omission). Requests come pre-built from a
JSON-lines file (``{"m", "p", "h", "b"}``; the body is sent verbatim), so no signing or
encoding happens in the measured loop. Prints one JSON object with the results.
"""

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

TIMEOUT_S = 10.0


def load_requests(path, host):
    """Pre-build the raw HTTP/1.1 bytes of every request in a JSON-lines file."""
    built = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            spec = json.loads(line)
            body = spec.get("b", "").encode("utf-8")
            head = [f"{spec.get('m', 'POST')} {spec['p']} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
            head += [f"{name}: {value}" for name, value in spec.get("h", {}).items()]
            built.append(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
    return built


class Connection:
    """One keep-alive connection; ``send`` returns the status code (reconnects when closed)."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def send(self, raw):
        """Send one pre-built request and read its whole response; returns the status code."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        if length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self):
        """Drop the connection (the next ``send`` reconnects)."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Recorder:
    """Latencies (ms) and outcomes of the requests that count (after the warm-up)."""

    def __init__(self):
        self.latencies, self.statuses, self.errors = [], Counter(), Counter()

    def record(self, latency_s, status=None, error=None):
        """One finished request: its latency and either its HTTP status or an error name."""
        self.latencies.append(latency_s * 1000.0)
        if error is not None:
            self.errors[error] += 1
        else:
            self.statuses[status] += 1
            if not 200 <= status < 300:
                self.errors[f"http_{status}"] += 1

    def summary(self, elapsed_s):
        """The result object printed by the CLI."""
        ordered = sorted(self.latencies)
        done = len(ordered)
        return {
            "completed": done,
            "elapsed_s": round(elapsed_s, 3),
            "throughput_rps": round(done / elapsed_s, 1) if elapsed_s > 0 else 0.0,
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "latency_ms": {
                name: round(percentile(ordered, q), 2)
                for name, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
            },
        }


def percentile(ordered, q):
    """Nearest-rank percentile of an already sorted list (0.0 for an empty list)."""
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 1))))
    return ordered[rank - 1]


async def _one(conn, raw, recorder, started_at, counts):
    try:
        status = await asyncio.wait_for(conn.send(raw), TIMEOUT_S)
        if counts:
            recorder.record(time.perf_counter() - started_at, status=status)
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
        conn.close()
        if counts:
            recorder.record(time.perf_counter() - started_at, error=type(exc).__name__)


async def run_closed(target, requests, connections, duration, warmup):
    """Saturate with ``connections`` closed-loop clients; returns the summary dict."""
    recorder, queue = Recorder(), iter(requests)
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + duration

    sent = 0

    async def client():
        nonlocal sent
        conn = Connection(*target)
        while time.perf_counter() < stop_at:
            raw = next(queue, None)
            if raw is None:
                break
            sent += 1
            now = time.perf_counter()
            await _one(conn, raw, recorder, now, now >= measure_from)
        conn.close()

    await asyncio.gather(*(client() for _ in range(connections)))
    result = recorder.summary(time.perf_counter() - measure_from)
    result.update(sent_total=sent, exhausted=sent == len(requests))
    return result


async def run_open(target, requests, rate, duration, warmup, pool_size):
    """Send at a fixed ``rate`` (req/s) from a pool of connections; latency from schedule."""
    recorder, pool = Recorder(), asyncio.Queue()
    for _ in range(pool_size):
        pool.put_nowait(Connection(*target))
    total = min(len(requests), int(rate * (warmup + duration)))
    warm_count = int(rate * warmup)
    start = time.perf_counter() + 0.05
    tasks = []

    async def fire(raw, scheduled, counts):
        conn = await pool.get()
        try:
            await _one(conn, raw, recorder, scheduled, counts)
        finally:
            pool.put_nowait(conn)

    for index in range(total):
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(fire(requests[index], scheduled, index >= warm_count)))
    await asyncio.gather(*tasks)
    while not pool.empty():
        pool.get_nowait().close()
    result = recorder.summary((total - warm_count) / rate)
    result.update(offered_rps=rate, sent_total=total, exhausted=total < int(rate * (warmup + duration)))
    return result


def main(argv=None):
    """CLI entry point; prints the JSON summary on stdout."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.loadgen")
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", required=True, help="JSON-lines file of pre-built requests")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    modes = parser.add_subparsers(dest="mode", required=True)
    modes.add_parser("closed").add_argument("--connections", type=int, default=16)
    open_mode = modes.add_parser("open")
    open_mode.add_argument("--rate", type=float, required=True)
    open_mode.add_argument("--pool", type=int, default=64)
    args = parser.parse_args(argv)
    parts = urlsplit(args.url)
    target = (parts.hostname, parts.port or 80)
    requests = load_requests(args.requests, parts.netloc)
    if args.mode == "closed":
        result = asyncio.run(run_closed(target, requests, args.connections, args.duration, args.warmup))
    else:
        result = asyncio.run(run_open(target, requests, args.rate, args.duration, args.warmup, args.pool))
    result.update(mode=args.mode, available_requests=len(requests))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
