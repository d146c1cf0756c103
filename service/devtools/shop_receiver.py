"""A small shop: a local HTTP endpoint that receives order events, verifies each with the
third-party ``standardwebhooks`` package and records (and, in the dev stack, prints) it.

Its answers are scriptable, for the tests and the chaos run: a list of steps taken in turn
(an HTTP status, or ``("stall", seconds)`` to hold the request before answering 200), or a
function choosing the step per request. Loopback only.
"""

import base64
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

Step = int | tuple[str, float]


class ShopReceiver:
    """Receives order events at ``url``; ``received`` holds the verified payloads (in arrival
    order, duplicates included), ``rejected`` counts requests whose signature failed."""

    def __init__(
        self,
        secret: str,
        steps: Iterable[Step] = (),
        choose: Callable[[dict[str, Any]], Step] | None = None,
        echo: bool = False,
        port: int = 0,
    ) -> None:
        self.webhook, self.steps, self.choose, self.echo = Webhook(secret), list(steps), choose, echo
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.rejected = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.take(dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/order-events"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def take(self, headers: dict[str, str], body: bytes) -> int:
        """Verify, record and answer one delivery (400 for a bad signature)."""
        try:
            payload = self.webhook.verify(body, headers)
        except WebhookVerificationError:
            with self.lock:
                self.rejected += 1
            return 400
        with self.lock:
            step = self.steps.pop(0) if self.steps else (self.choose(payload) if self.choose else 200)
        if isinstance(step, tuple):
            time.sleep(step[1])
            step = 200
        if 200 <= step < 300:
            with self.lock:
                self.received.append(payload)
                self.headers.append({k.lower(): v for k, v in headers.items()})
            if self.echo:
                data = payload["data"]
                print(
                    f"shop received {payload['type']} {data.get('event_id')} order={data.get('order_id')}",
                    file=sys.stderr,
                )
        return step

    def event_ids(self) -> list[str]:
        """The event ids received with a 2xx, in arrival order."""
        with self.lock:
            return [p["data"]["event_id"] for p in self.received]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def start_for_dev(env: dict[str, str], cli_env: dict[str, str], stoppers: list[Any]) -> str:
    """For ``python -m service dev``: unless SHOP_WEBHOOK_URLS is set, start a receiver that
    prints every order event it verified, and point the stack (and ``dev env``) at it.
    Returns the banner line."""
    if env.get("SHOP_WEBHOOK_URLS"):
        return f"Order events:      to SHOP_WEBHOOK_URLS ({len(env['SHOP_WEBHOOK_URLS'].split(','))} endpoint(s))"
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    receiver = ShopReceiver(secret, echo=True)
    stoppers.append(receiver.close)
    settings = {"SHOP_WEBHOOK_URLS": receiver.url, "SHOP_WEBHOOK_SECRETS": secret}
    env.update(settings)
    cli_env.update(settings)
    return f"Order events:      {receiver.url}  (a local shop; prints each order event it verified)"


def main() -> None:
    """``python -m service.devtools.shop_receiver PORT SECRET``: receive and print order events."""
    receiver = ShopReceiver(sys.argv[2], echo=True, port=int(sys.argv[1]))
    print(json.dumps({"url": receiver.url}), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
