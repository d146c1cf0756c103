"""What an operator sees when the configuration or the database is wrong: one line per
problem and a non-zero exit, never a traceback; and ``--help`` works without configuration."""

import os
import subprocess

import pytest

from service.config import ConfigError, Settings
from tests.support.processes import BIN, ROOT, Gunicorn, flask_cli

SCRUBBED = ("MONGODB_URI", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "ADMIN_TOKEN")
PROJECT_COMMANDS = ("consolidate", "db", "events", "orders", "products", "reconcile")


def bare_env(**settings):
    """The machine's environment without any of the service's settings, plus ``settings``."""
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    return {**env, **settings}


def run(argv, env, timeout=60):
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def test_flask_help_lists_every_project_command_without_any_configuration():
    """`flask --app wsgi --help` with nothing configured: exit 0, every command listed, no traceback."""
    result = run([os.path.join(BIN, "flask"), "--app", "wsgi", "--help"], bare_env())
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    listed = result.stdout.split("Commands:")[1]
    for command in PROJECT_COMMANDS:
        assert f"\n  {command} " in listed
    sub = run([os.path.join(BIN, "flask"), "--app", "wsgi", "orders", "refund", "--help"], bare_env())
    assert sub.returncode == 0 and "--dry-run" in sub.stdout, sub.stdout + sub.stderr


def test_the_release_command_names_each_missing_variable_on_one_line_and_exits_1():
    """`flask --app wsgi db init` (Heroku's release phase) without configuration: one line per variable."""
    result = run([os.path.join(BIN, "flask"), "--app", "wsgi", "db", "init"], bare_env())
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        line for line in result.stderr.splitlines() if line.startswith("configuration error: ")
    ]
    assert [line.split()[2] for line in result.stderr.splitlines()] == [
        "MONGODB_URI",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
    ]


def test_gunicorn_refuses_a_bad_configuration_in_one_line_per_problem_before_any_worker_boots(tmp_path):
    """The Procfile's web command with a malformed setting exits non-zero, naming it, without a traceback."""
    env = {"MONGODB_URI": "mongodb://127.0.0.1:1/payments", "STRIPE_SECRET_KEY": "sk_test_x"}
    env.update(STRIPE_WEBHOOK_SECRET="whsec_x", STRIPE_TIMEOUT_SECONDS="soon", ADMIN_TOKEN="short")
    server = Gunicorn(env, str(tmp_path / "gunicorn.log"), workers=1)
    result = run(server.argv(), bare_env(**server.env), timeout=30)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    problems = [line for line in output.splitlines() if line.startswith("configuration error: ")]
    assert sorted(problems) == [
        "configuration error: ADMIN_TOKEN must be at least 32 characters",
        "configuration error: STRIPE_TIMEOUT_SECONDS must be a float",
    ]
    assert len(output.splitlines()) <= len(problems) + 1  # gunicorn's own "Starting gunicorn" line


def test_an_unreachable_database_is_one_error_line_from_the_release_command():
    """`db init` against a closed port: exit 1, a single stderr line naming the database, no traceback."""
    env = bare_env(
        MONGODB_URI="mongodb://127.0.0.1:9/payments",
        STRIPE_SECRET_KEY="sk_test_x",
        STRIPE_WEBHOOK_SECRET="whsec_x",
        DB_TIMEOUT_MS="100",
        DB_RETRY_ATTEMPTS="1",
    )
    result = flask_cli(env, "db", "init")
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == ["Error: database unavailable during ensure_indexes"]


@pytest.mark.parametrize(
    "uri", ["mongodb://127.0.0.1:27017", "mongodb+srv://u:p@cluster.example.net/?retryWrites=true"]
)
def test_a_mongodb_uri_without_a_database_name_is_refused(uri):
    """The README says the database name is required: a URI without one is a configuration error."""
    env = {"MONGODB_URI": uri, "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(env)
    assert refused.value.lines() == [
        "configuration error: MONGODB_URI must name the database in its path, "
        "e.g. mongodb+srv://USER:PASSWORD@HOST/payments"
    ]
    assert Settings.from_env({**env, "MONGODB_URI": "mongodb://127.0.0.1:27017/shop"}).db_name == "shop"
