"""Shared fixtures: a real SecantusDB daemon (or TEST_MONGODB_URI), a fake Stripe HTTP
server reached by the real stripe-python client, and apps wired to both. Everything is
started through ``tests.support.stack.ServiceStack``; test modules import helpers from
``tests.support``, never from here."""

import io
import json
import logging

import pymongo
import pytest

from service.devtools.fake_stripe import FakeStripe
from service.devtools.shop_receiver import ShopReceiver
from service.observability.logs import JsonFormatter
from tests.support.devstack import running_dev_stack
from tests.support.fake_clock import FAKE_API_KEY, T0, Clock
from tests.support.helpers import API_KEY
from tests.support.shop import SHOP_SECRET
from tests.support.stack import ExternalMongo, ServiceStack


@pytest.fixture(scope="session")
def mongo(tmp_path_factory):
    """The shared database server for the session: TEST_MONGODB_URI, or a SecantusDB daemon."""
    with ServiceStack(str(tmp_path_factory.mktemp("secantus")), mongo=ExternalMongo.from_env()) as stack:
        yield stack.start_database().mongo


@pytest.fixture(scope="session")
def dev_stack(tmp_path_factory):
    """The README's run command (`python -m service dev`) on a free port and a temporary data
    folder, shared by the dev-stack and browser tests."""
    with running_dev_stack(tmp_path_factory.mktemp("devstack")) as stack:
        yield stack


@pytest.fixture
def own_mongo(tmp_path):
    """A SecantusDB daemon of this test's own, so the test may kill and restart it."""
    with ServiceStack(str(tmp_path)) as stack:
        yield stack.start_database().mongo


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


@pytest.fixture
def receiver():
    """A local shop endpoint that verifies order-event deliveries (Standard Webhooks) with SHOP_SECRET."""
    shop = ShopReceiver(SHOP_SECRET)
    yield shop
    shop.close()


@pytest.fixture
def service_stack(mongo, fake_stripe):
    """This test's stack on the shared server and the test's fake Stripe. Every app it builds
    (``make_app``) and environment it computes gets a fresh database; at teardown those
    databases are dropped and the connection is closed."""
    with ServiceStack(mongo=mongo, fake=fake_stripe) as stack:
        yield stack


@pytest.fixture
def make_app(service_stack):
    """``make_app(**settings)``: an in-process app on a fresh database (``fake=`` another fake
    Stripe, ``mongo=`` another server), torn down with the test."""
    return service_stack.make_app


@pytest.fixture
def app(service_stack):
    """The app with the test settings, on a fresh database (built by ``service_stack`` itself,
    so a module that overrides ``make_app`` with its own settings leaves ``app`` alone)."""
    return service_stack.make_app()


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
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("service")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


@pytest.fixture(scope="module")
def clock():
    """A settable clock (tests/support/fake_clock.py) shared by a module's tests."""
    return Clock()


@pytest.fixture(scope="module")
def server(clock):
    """A fake Stripe on ``clock`` for the whole module; a module's ``fake`` fixture empties it per test."""
    fake = FakeStripe(api_key=FAKE_API_KEY, clock=clock).start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(server, clock):
    """The module's fake Stripe (``server``), emptied and its clock set back to T0 before each test."""
    server.reset()
    clock.now = T0
    return server
