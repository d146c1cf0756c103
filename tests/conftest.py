"""Shared fixtures: a real SecantusDB daemon (or TEST_MONGODB_URI), a fake Stripe HTTP
server reached by the real stripe-python client, and an app wired to both."""

import io
import json
import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pymongo
import pytest

from service import create_app, handlers
from service.store import connection as db
from service.devtools.fake_stripe import FakeStripe
from service.devtools.secantus import SecantusServer, arm_fail_point
from service.observability.logs import JsonFormatter
from tests.helpers import API_KEY, CATALOG, OLD_WEBHOOK_SECRET, WEBHOOK_SECRET


class ExternalMongo:
    """A MongoDB the tests did not start (TEST_MONGODB_URI); it cannot be killed."""

    def __init__(self, uri):
        self.base = uri

    def uri(self, db_name=""):
        parts = urlsplit(self.base)
        return urlunsplit(parts._replace(path="/" + db_name))

    def fail_point(self, mode, data):
        arm_fail_point(self.uri(), mode, data)


@pytest.fixture(scope="session")
def mongo(tmp_path_factory):
    """The shared database server for the session."""
    if os.environ.get("TEST_MONGODB_URI"):
        yield ExternalMongo(os.environ["TEST_MONGODB_URI"])
        return
    server = SecantusServer(str(tmp_path_factory.mktemp("secantus"))).start()
    yield server
    server.stop()


@pytest.fixture
def own_mongo(tmp_path):
    """A SecantusDB daemon of this test's own, so the test may kill and restart it."""
    server = SecantusServer(str(tmp_path / "db")).start()
    yield server
    server.stop()


@pytest.fixture
def fail_point(mongo):
    """Arm mongod's failCommand fail point on the shared server; always disarmed afterwards."""
    yield mongo.fail_point
    mongo.fail_point("off", {})


@pytest.fixture
def fake_stripe():
    """A fresh stateful fake Stripe API on a free port."""
    fake = FakeStripe(api_key=API_KEY)
    fake.start()
    yield fake
    fake.stop()


def app_env(mongo_server, fake, **overrides):
    """The environment a test app runs with: a fresh database, fast failure budgets."""
    env = {
        "MONGODB_URI": mongo_server.uri("t_" + uuid.uuid4().hex[:12]),
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_PUBLISHABLE_KEY": "pk_test_fake",
        "STRIPE_WEBHOOK_SECRET": f"{WEBHOOK_SECRET},{OLD_WEBHOOK_SECRET}",
        "STRIPE_API_BASE": fake.url,
        "STRIPE_TIMEOUT_SECONDS": "1",
        "DB_TIMEOUT_MS": "300",
        "DB_SOCKET_TIMEOUT_MS": "1000",
        "DB_RETRY_MAX_SECONDS": "2",
        "RETRY_BACKOFF_SECONDS": "0",
        "LOG_LEVEL": "DEBUG",
    }
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def build_app(env):
    """create_app + indexes + the test catalog, as the release phase and an operator would."""
    app = create_app(env)
    with app.app_context():
        db.ensure_indexes()
        handlers.import_products(app.extensions["payments"], CATALOG)
    return app


@pytest.fixture
def app(mongo, fake_stripe):
    app = build_app(app_env(mongo, fake_stripe))
    yield app
    settings = app.extensions["payments"].settings
    pymongo.MongoClient(settings.mongodb_uri).drop_database(settings.db_name)
    db.disconnect()


@pytest.fixture
def services(app):
    return app.extensions["payments"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def raw_db(services):
    """A separate pymongo handle on the test database, for assertions only."""
    client = pymongo.MongoClient(services.settings.mongodb_uri, serverSelectionTimeoutMS=5000)
    yield client[services.settings.db_name]
    client.close()


@pytest.fixture
def log_lines():
    """Every JSON log line the service writes during the test, parsed."""
    import logging

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("service")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
