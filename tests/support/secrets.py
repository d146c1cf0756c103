"""Scan a whole database for anything secret at rest: a ``client_secret`` / ``secret`` key
with a value, a PaymentIntent client secret (``pi_…_secret_…``), a Stripe key or a webhook
signing secret, anywhere in any document of any collection (JSON text inside a string, such
as an inbox payload, included)."""

import contextlib
import json
import re

SECRET_KEYS = ("client_secret", "secret")
SECRET_TEXT = re.compile(
    r"_secret_[A-Za-z0-9]+|\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]+|\bwhsec_[A-Za-z0-9]+|client_secret"
)


def secrets_in(value, path=""):
    """(path, what) for every secret found in ``value`` (a document or part of one)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SECRET_KEYS and item:
                found.append((f"{path}.{key}", "secret key"))
            found += secrets_in(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += secrets_in(item, f"{path}[{index}]")
    elif isinstance(value, str):
        if SECRET_TEXT.search(value):
            found.append((path, SECRET_TEXT.search(value).group(0)[:24]))
        elif value[:1] in "{[":
            with contextlib.suppress(ValueError):
                found += secrets_in(json.loads(value), path + "<json>")
    return found


def scan_database(database):
    """{collection: [(document _id, path, what)]} for every collection holding a secret."""
    report = {}
    for name in database.list_collection_names():
        hits = [(doc.get("_id"), path, what) for doc in database[name].find() for path, what in secrets_in(doc)]
        if hits:
            report[name] = hits[:20]
    return report
