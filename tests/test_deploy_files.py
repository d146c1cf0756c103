"""The files a deploy reads agree with the code: `.python-version` pins the Python we run,
`app.json` (the Deploy to Heroku button) runs the Procfile's processes with every required
setting described, and its defaults are settings the service accepts."""

import json
import os
import sys

from service.config import REQUIRED, Settings
from tests.support.processes import ROOT, procfile_command


def read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as handle:
        return handle.read()


def test_python_version_pins_the_python_we_test_with():
    """The buildpack reads `.python-version`: the same major.minor as the tests' interpreter."""
    assert read(".python-version").strip() == f"{sys.version_info.major}.{sys.version_info.minor}"


def test_app_json_runs_the_procfile_processes_with_every_setting_described():
    """Formation web + worker are Procfile process types (release runs by itself); every
    required setting is required; every variable is one the service reads, with a
    description; tokens are generated; the defaults make valid settings."""
    app = json.loads(read("app.json"))
    assert set(app["formation"]) == {"web", "worker"}
    for kind in ("web", "worker", "release"):
        assert procfile_command(kind)
    env = app["env"]
    known = {field.upper() for field in Settings.__dataclass_fields__} | {"WEB_CONCURRENCY", "PORT"}
    known |= {"STRIPE_WEBHOOK_SECRET"}  # parsed into Settings.webhook_secrets
    known |= {"SHOP_WEBHOOK_URLS", "SHOP_WEBHOOK_SECRETS"}  # parsed into Settings.shop_endpoints
    assert set(env) <= known
    assert all(len(spec["description"]) > 20 for spec in env.values())
    assert {name for name, spec in env.items() if spec.get("required")} >= set(REQUIRED)
    assert env["ADMIN_TOKEN"]["generator"] == env["METRICS_TOKEN"]["generator"] == "secret"
    values = {name: spec["value"] for name, spec in env.items() if "value" in spec}
    tokens = {"ADMIN_TOKEN": "x" * 32, "METRICS_TOKEN": "y" * 32}
    required = {"MONGODB_URI": "mongodb+srv://u:p@cluster.example.net/payments", "STRIPE_SECRET_KEY": "sk_test_x"}
    required |= {"STRIPE_WEBHOOK_SECRET": "whsec_x", "STRIPE_PUBLISHABLE_KEY": "pk_test_x"}
    settings = Settings.from_env({**values, **tokens, **required})
    assert settings.reconcile_interval_seconds == 60.0
    assert "heroku.com/deploy" in read("README.md")
