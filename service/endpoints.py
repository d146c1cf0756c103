"""The shop's webhook endpoints: ``SHOP_WEBHOOK_URLS`` (a comma-separated list) and
``SHOP_WEBHOOK_SECRETS`` (a comma-separated list, one entry per URL, each entry one or more
``whsec_<base64>`` secrets separated by spaces while a secret rotates: every one signs).

Parsed once by ``Settings.from_env``. A URL must be https, except http to a loopback host
outside live mode (a receiver on the developer's machine or in the tests); it may carry no
user:password. Problems are reported by name and position, never with a secret's value.
"""

import hashlib
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .domain.standard_webhooks import InvalidSecret, secret_key

_LOOPBACK_NAMES = ("localhost",)


@dataclass(frozen=True)
class ShopEndpoint:
    """One endpoint: its URL, the secrets that sign for it, and a stable short id (metrics,
    delivery rows) that does not reveal the URL."""

    url: str
    secrets: tuple[str, ...] = field(repr=False)

    @property
    def endpoint_id(self) -> str:
        return "ep_" + hashlib.sha256(self.url.encode()).hexdigest()[:12]

    @property
    def display(self) -> str:
        """scheme://host/path: no query string (it may hold a token)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"


def parse_endpoints(env: Mapping[str, str], livemode: bool) -> tuple[tuple[ShopEndpoint, ...], list[str]]:
    """(endpoints, problems) from the environment; no endpoints when SHOP_WEBHOOK_URLS is unset."""
    urls = [u.strip() for u in env.get("SHOP_WEBHOOK_URLS", "").split(",") if u.strip()]
    entries = [e.strip() for e in env.get("SHOP_WEBHOOK_SECRETS", "").split(",") if e.strip()]
    if not urls:
        return (), (["SHOP_WEBHOOK_SECRETS is set but SHOP_WEBHOOK_URLS is not"] if entries else [])
    if len(entries) != len(urls):
        return (), [f"SHOP_WEBHOOK_SECRETS must give one entry per URL of SHOP_WEBHOOK_URLS ({len(urls)})"]
    problems: list[str] = []
    endpoints = []
    for number, (url, entry) in enumerate(zip(urls, entries, strict=True), start=1):
        problems += [f"SHOP_WEBHOOK_URLS entry {number}: {p}" for p in url_problems(url, livemode)]
        secrets = tuple(entry.split())
        for secret in secrets:
            try:
                secret_key(secret)
            except InvalidSecret as exc:
                problems.append(f"SHOP_WEBHOOK_SECRETS entry {number}: {exc}")
        endpoints.append(ShopEndpoint(url, secrets))
    if len({e.url for e in endpoints}) < len(endpoints):
        problems.append("SHOP_WEBHOOK_URLS lists a URL twice")
    return (tuple(endpoints) if not problems else ()), problems


def url_problems(url: str, livemode: bool) -> list[str]:
    """Why ``url`` may not receive order events (empty when it may)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return ["is not a valid URL"]
    if not host:
        return ["must name a host"]
    if parts.username or parts.password:
        return ["must not carry a user or password"]
    if parts.scheme == "https":
        return []
    if parts.scheme == "http" and not livemode and _loopback(host):
        return []
    return ["must be https (http only to a loopback host, outside live mode)"]


def _loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
