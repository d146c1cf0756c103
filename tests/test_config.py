"""Configuration refuses what is unsafe, and a production start names each problem in one
line without a traceback (gunicorn as the Procfile runs it, and the release command)."""

import os
import subprocess

import pytest

from service.config import ConfigError, Settings
from tests.support.processes import BIN, ROOT, flask_cli, process_env, procfile_command

BASE = {"MONGODB_URI": "mongodb://127.0.0.1:9/x", "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}


@pytest.mark.parametrize(
    "name,value",
    [
        ("WEBHOOK_TOLERANCE_SECONDS", "0"),  # 0 turned the signature's age check off
        ("WEBHOOK_TOLERANCE_SECONDS", "-300"),
        ("WEBHOOK_TOLERANCE_SECONDS", "86400"),
        ("STRIPE_TIMEOUT_SECONDS", "-1"),
        ("STRIPE_TIMEOUT_SECONDS", "nan"),
        ("STRIPE_RETRY_MAX_SECONDS", "inf"),
        ("DB_TIMEOUT_MS", "0"),
        ("DB_RETRY_MAX_SECONDS", "-4"),
        ("DB_RETRY_ATTEMPTS", "0"),
        ("RETRY_BACKOFF_SECONDS", "-0.2"),
        ("WEBHOOK_DEADLINE_SECONDS", "0"),
        ("WEBHOOK_DEADLINE_SECONDS", "30"),
        ("MAX_BODY_BYTES", "-1"),
        ("RECONCILE_INTERVAL_SECONDS", "0"),
        ("STRIPE_READ_RATE", "0"),
        ("SIGNATURE_ALERT_THRESHOLD", "0"),
        ("CONSOLIDATION_DELAY_SECONDS", "-1"),
        ("JOURNAL_RETENTION_SECONDS", "-1"),
        ("ADMIN_TOKEN", "x" * 31),
        ("METRICS_TOKEN", "short"),
        ("WEBHOOK_MAX_ATTEMPTS", "five"),
    ],
)
def test_unsafe_values_are_refused_by_name(name, value):
    """Each unsafe value is a ConfigError whose message names the variable."""
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({**BASE, name: value})


def test_admin_and_metrics_tokens_must_differ():
    """The scraper's token must not open the admin API."""
    token = "t" * 40
    with pytest.raises(ConfigError, match="ADMIN_TOKEN and METRICS_TOKEN must differ"):
        Settings.from_env({**BASE, "ADMIN_TOKEN": token, "METRICS_TOKEN": token})
    settings = Settings.from_env({**BASE, "ADMIN_TOKEN": token, "METRICS_TOKEN": "m" * 40})
    assert settings.admin_token != settings.metrics_token


def test_the_bounds_themselves_are_accepted():
    """1 s and 600 s tolerances, a zero backoff and zero grace are valid."""
    for tolerance in ("1", "600"):
        assert Settings.from_env({**BASE, "WEBHOOK_TOLERANCE_SECONDS": tolerance}).webhook_tolerance_seconds == int(
            tolerance
        )
    settings = Settings.from_env({**BASE, "RETRY_BACKOFF_SECONDS": "0", "RECONCILE_GRACE_SECONDS": "0"})
    assert settings.retry_backoff_seconds == 0 and settings.reconcile_grace_seconds == 0


BAD_START = {
    **BASE,
    "WEBHOOK_TOLERANCE_SECONDS": "0",
    "DB_RETRY_MAX_SECONDS": "-1",
    "ADMIN_TOKEN": "short",
}
PROBLEMS = ("WEBHOOK_TOLERANCE_SECONDS", "DB_RETRY_MAX_SECONDS", "ADMIN_TOKEN")


def _one_line_per_problem(output):
    """Exactly one ``configuration error:`` line per problem, each naming its variable."""
    lines = [line for line in output.splitlines() if line.startswith("configuration error: ")]
    assert len(lines) == len(PROBLEMS), output
    assert sorted(line.split()[2] for line in lines) == sorted(PROBLEMS), lines
    assert "Traceback" not in output, output


def test_gunicorn_as_the_procfile_runs_it_refuses_a_bad_configuration_in_one_line_per_problem():
    """The web process exits non-zero before forking a worker, with one line per problem, each naming its variable."""
    argv = procfile_command("web")
    argv[0] = os.path.join(BIN, argv[0])
    done = subprocess.run(
        argv,
        cwd=ROOT,
        env=process_env({**BAD_START, "PORT": "0"}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    _one_line_per_problem(done.stdout + done.stderr)


def test_the_release_command_refuses_a_bad_configuration_in_one_line_per_problem():
    """``flask --app wsgi db init`` (the release phase) exits 1 with the same lines."""
    done = flask_cli(BAD_START, "db", "init")
    assert done.returncode == 1
    _one_line_per_problem(done.stdout + done.stderr)
