"""What an operator is handed is true: the Prometheus alert rules pass `promtool check rules`
and their unit tests, every metric the rules and the Grafana dashboard name is one the
service exposes (and the dashboard shows every one), and every alert the code can raise has
a runbook entry that the rules link to."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from service import handlers
from service.clock import utcnow
from service.devtools.shop_receiver import ShopReceiver
from service.handlers import outbox
from tests.support.helpers import deliver, new_order, signed
from tests.support.processes import ROOT

OPS = Path(ROOT) / "docs" / "operations"
SHOP_SECRET = "whsec_" + "c2hvcC1zZWNyZXQtZm9yLXRoZS1tZXRyaWNzLXRlc3Q="
METRIC = re.compile(r"\b(payments_[a-z_]+)")


def promtool(*args):
    found = shutil.which("promtool")
    if found is None:
        pytest.fail(
            "promtool is missing: `apt-get install prometheus` (Debian's package ships it; .ci/run installs it)"
        )
    return subprocess.run([found, *args], cwd=OPS, capture_output=True, text=True, timeout=60, check=False)


def rules():
    return yaml.safe_load((OPS / "alerts.yml").read_text())["groups"][0]["rules"]


def dashboard_exprs():
    dashboard = json.loads((OPS / "grafana-dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_promtool_accepts_the_rules_and_their_unit_tests_pass():
    """`promtool check rules alerts.yml` and `promtool test rules alerts-test.yml` both succeed."""
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", "alerts-test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    tested_names = set(re.findall(r"alertname: (\w+)", (OPS / "alerts-test.yml").read_text()))
    assert tested_names == {rule["alert"] for rule in rules()}  # each rule has a unit test


def test_rules_and_dashboard_name_only_metrics_the_service_exposes_and_the_dashboard_shows_them_all(
    make_app, fake_stripe
):
    """A scrape after real traffic (checkout, webhook, a bad signature, a consolidation run, an
    order event delivered to a shop endpoint) has every metric the rules and panels use; every
    payments_ family is on the dashboard."""
    shop = ShopReceiver(SHOP_SECRET)
    app = make_app(SHOP_WEBHOOK_URLS=shop.url, SHOP_WEBHOOK_SECRETS=SHOP_SECRET)
    client, services = app.test_client(), app.extensions["payments"]
    _, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    deliver(client, dict(fake_stripe.refund(pi_id, 100), api_version="2020-08-27"))  # another API version
    body, _ = signed({"id": "evt_x"})
    client.post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": "t=1,v1=00"}, content_type="application/json"
    )
    handlers.consolidate_period(services, "hour", None, utcnow(), lambda: None)
    handlers.reconcile(services)
    outbox.deliver(services)
    shop.close()
    exposition = client.get("/metrics").get_data(as_text=True)
    samples = {
        line.split("{")[0].split(" ")[0] for line in exposition.splitlines() if line and not line.startswith("#")
    }
    # (prometheus_client's *_created series exist only outside gunicorn's multiprocess mode)
    families = {
        name for name in re.findall(r"^# TYPE (payments_\w+) ", exposition, re.M) if not name.endswith("_created")
    }
    used_by_rules = {name for rule in rules() for name in METRIC.findall(rule["expr"])}
    used_by_dashboard = {name for expr in dashboard_exprs() for name in METRIC.findall(expr)}
    assert used_by_rules - samples == set()
    assert used_by_dashboard - samples == set()
    assert {family for family in families if not any(name.startswith(family) for name in used_by_dashboard)} == set()


def code_alerts():
    """Every alert name the service can raise: the constants of observability/alerts.py and the
    `alert="..."` literals elsewhere."""
    names = set()
    for path in Path(ROOT, "service").rglob("*.py"):
        text = path.read_text()
        names |= set(re.findall(r'alert="([a-z_]+)"', text))
        if path.name == "alerts.py":
            names |= set(re.findall(r'^[A-Z_]+ = "([a-z_]+)"$', text, re.M))
    return names


def test_every_alert_has_a_runbook_entry_and_every_rule_links_to_one():
    """Each log alert and each Prometheus rule has a `### name` entry saying what it means and
    what to do; each rule's runbook_url names that entry; each service_alert label is real."""
    runbook = (OPS / "RUNBOOK.md").read_text()
    entries = set(re.findall(r"^### (\S+)\nMeans: .+\nDo: .+$", runbook, re.M))
    assert len(code_alerts()) >= 10
    assert code_alerts() - set(entries) == set()
    for rule in rules():
        assert rule["alert"] in entries or rule["labels"].get("service_alert") in entries, rule["alert"]
        anchor = rule["annotations"]["runbook_url"].split("#")[1]
        assert anchor in {name.lower() for name in entries}, rule["alert"]
        assert rule["labels"].get("service_alert", "failed_inbox_events") in code_alerts()
    watched = {rule["labels"].get("service_alert") for rule in rules()}
    assert {"failed_inbox_events", "signature_failure_spike", "reconciler_stale", "consolidation_mismatch"} <= watched
    assert "PaymentsOrdersStuck" in {rule["alert"] for rule in rules()}
    assert os.path.exists(OPS / "grafana-dashboard.json")
