"""The one service stack of the tests: a database server, the fake Stripe API and the service,
in process or under gunicorn as the Procfile runs it.

``ServiceStack`` starts what it is not given: a SecantusDB daemon of its own (so a test may
SIGKILL it) unless ``mongo`` is a running server (the session's, or ``ExternalMongo`` for
TEST_MONGODB_URI); a ``FakeStripe`` unless ``fake`` is given. It computes the service's
environment (``app_env``), prepares the database (``db init`` + catalog import, through the
operator's CLI or in process) and runs the app in process (``make_app``) or under gunicorn
(``start_web``). ``stop`` stops everything it started and nothing it was given, also after a
start-up that failed half-way, and owns the teardown of every in-process app: the databases
it handed out on a given server are dropped and the connection is closed.

The unit-level fixtures (tests/conftest.py), the fault suite, the chaos run and the
benchmarks all start their processes through it.
"""

import json
import os
import tempfile
import uuid
from urllib.parse import urlsplit, urlunsplit

import pymongo

from service import create_app, handlers
from service.devtools.fake_stripe import FakeStripe
from service.devtools.secantus import SecantusServer, arm_fail_point
from service.observability import logs
from service.store import connection
from tests.support.helpers import API_KEY, CATALOG, OLD_WEBHOOK_SECRET, WEBHOOK_SECRET
from tests.support.processes import Gunicorn, flask_cli

# What a test app runs with unless a test says otherwise: fast failure budgets, debug logs.
TEST_SETTINGS = {
    "STRIPE_PUBLISHABLE_KEY": "pk_test_fake",
    "STRIPE_WEBHOOK_SECRET": f"{WEBHOOK_SECRET},{OLD_WEBHOOK_SECRET}",
    "STRIPE_TIMEOUT_SECONDS": "1",
    "DB_TIMEOUT_MS": "300",
    "DB_SOCKET_TIMEOUT_MS": "1000",
    "DB_RETRY_MAX_SECONDS": "2",
    "RETRY_BACKOFF_SECONDS": "0",
    "LOG_LEVEL": "DEBUG",
    # Rate limits out of the way of tests that are not about them (tests/test_rate_limits.py is).
    "CHECKOUT_LIMIT_PER_IP": "10000000",
    "CHECKOUT_LIMIT_GLOBAL": "10000000",
}


class ExternalMongo:
    """A MongoDB the tests did not start (TEST_MONGODB_URI); it cannot be killed."""

    def __init__(self, uri):
        self.base = uri

    @classmethod
    def from_env(cls, environ=os.environ):
        """The server named by TEST_MONGODB_URI, or None when it is unset."""
        uri = environ.get("TEST_MONGODB_URI")
        return cls(uri) if uri else None

    def uri(self, db_name=""):
        parts = urlsplit(self.base)
        return urlunsplit(parts._replace(path="/" + db_name))

    def fail_point(self, mode, data):
        arm_fail_point(self.uri(), mode, data)


def app_env(mongo_server, fake, db_name=None, defaults=TEST_SETTINGS, **overrides):
    """The environment the service runs with: database ``db_name`` (a fresh one by default)
    on ``mongo_server``, the fake Stripe ``fake``, then ``defaults`` and ``overrides``."""
    env = {
        "MONGODB_URI": mongo_server.uri(db_name or "t_" + uuid.uuid4().hex[:12]),
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_API_BASE": fake.url,
        **defaults,
    }
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def build_app(env, catalog=CATALOG, log_stream=None):
    """create_app + indexes + the catalog, as the release phase and an operator would; the
    app's log lines go to ``log_stream`` when one is given (stdout otherwise)."""
    app = create_app(env)
    if log_stream is not None:
        logs.configure(app.extensions["payments"].settings.log_level, stream=log_stream)
    with app.app_context():
        connection.ensure_indexes()
        handlers.import_products(app.extensions["payments"], catalog)
    return app


class ServiceStack:
    """Database server + fake Stripe + the service, on 127.0.0.1; a context manager whose exit
    is ``stop``.

    directory: the work directory (database data, catalog file, logs); a new temporary one by
        default, made only when something needs it.
    mongo, fake: a running server / FakeStripe to use (never stopped here); by default the
        stack starts its own.
    env: settings for every environment the stack computes, over ``defaults``.
    app_name: the MongoDB ``appName`` the service connects with (failpoints can target it).
    test_commands: start the own daemon with test commands (failpoints) enabled.
    workers: gunicorn workers. catalog: the products every prepared database gets.
    data_dir: the own daemon's data directory, inside ``directory``.
    app_log: a file name in ``directory`` for the in-process apps' log lines (stdout if None).
    client_options: for ``client``, the stack's own pymongo client (for assertions; it never
        carries ``app_name``, so failpoints scoped to the service never hit it).
    """

    def __init__(
        self,
        directory=None,
        *,
        mongo=None,
        fake=None,
        env=None,
        defaults=TEST_SETTINGS,
        app_name=None,
        test_commands=True,
        workers=2,
        catalog=CATALOG,
        data_dir="db",
        app_log=None,
        client_options=None,
    ):
        self._directory = directory
        self.mongo, self.fake = mongo, fake
        self._own_mongo, self._own_fake = mongo is None, fake is None
        self.overrides = dict(env or {})
        self.defaults = defaults
        self.app_name = app_name
        self.test_commands = test_commands
        self.workers = workers
        self.catalog = catalog
        self.data_dir = data_dir
        self.app_log = app_log
        self.client_options = {"serverSelectionTimeoutMS": 10000, **(client_options or {})}
        self.env = self.db_name = self.web = self.app = None
        self._client = self._log_stream = None
        self._servers, self._apps, self._databases = [], [], []

    # -- lifecycle -------------------------------------------------------------
    def start(self, *, prepare="cli", web=True):
        """Start the database and the fake Stripe (unless given), compute ``env`` (the stack's
        own database), prepare that database (``prepare``: "cli" runs ``flask db init`` and
        ``products import`` as the release phase and an operator do, "in-process" builds
        ``self.app`` on it, None leaves it alone), then gunicorn when ``web``. Returns self;
        if any step fails, stops what was started and re-raises."""
        try:
            self.start_database()
            self.start_stripe()
            self.env = self.environment()
            self.db_name = urlsplit(self.env["MONGODB_URI"]).path.lstrip("/")
            if prepare == "cli":
                self.prepare_database()
            elif prepare == "in-process":
                self.app = self.make_app(self.env)
            elif prepare is not None:
                raise ValueError(f"prepare must be 'cli', 'in-process' or None, not {prepare!r}")
            if web:
                self.start_web()
        except BaseException:
            self.stop()
            raise
        return self

    def start_database(self):
        """Start a SecantusDB daemon of the stack's own, unless a server was given."""
        if self.mongo is None:
            self.mongo = SecantusServer(self.path(self.data_dir), test_commands=self.test_commands)
            self.mongo.start()
        return self

    def start_stripe(self):
        """Start a fake Stripe API of the stack's own, unless one was given."""
        if self.fake is None:
            self.fake = FakeStripe(api_key=API_KEY)
            self.fake.start()
        return self

    def prepare_database(self, env=None):
        """``flask db init`` and ``products import`` (the stack's catalog) on ``env`` (the
        stack's own by default); raises RuntimeError with the output if either fails."""
        env = env or self.env
        catalog = self.path("catalog.json")
        with open(catalog, "w", encoding="utf-8") as handle:
            json.dump(self.catalog, handle)
        for args in (("db", "init"), ("products", "import", catalog)):
            result = flask_cli(env, *args)
            if result.returncode:
                raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")

    def start_web(self):
        """gunicorn exactly as the Procfile's ``web`` line, on the stack's environment."""
        self.web = self.gunicorn()
        return self.web.start()

    def gunicorn(self, log_name="gunicorn.log", env=None, workers=None, server_class=Gunicorn, **options):
        """A gunicorn (``server_class``) on ``env`` (the stack's by default), not yet started,
        logging to ``log_name`` in the work directory; ``stop`` stops it."""
        server = server_class(env or self.env, self.path(log_name), workers or self.workers, **options)
        self._servers.append(server)
        return server

    def stop(self):
        """Stop every gunicorn; tear down the in-process apps (drop the databases handed out on
        a given server, close the connection); stop the fake Stripe, the client and the
        daemon if the stack started them. Every step runs even if one fails; idempotent."""
        steps = [server.stop for server in reversed(self._servers)]
        steps += [self._drop_databases, self._disconnect]
        if self._own_fake and self.fake is not None:
            steps.append(self.fake.stop)
        if self._client is not None:
            steps.append(self._client.close)
        if self._own_mongo and self.mongo is not None:
            steps.append(self.mongo.stop)
        errors = []
        for step in steps:
            try:
                step()
            except Exception as exc:  # the rest must still be stopped
                errors.append(exc)
        self._servers, self._client = [], None
        if errors:
            raise errors[0]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- environments and in-process apps ---------------------------------------
    def environment(self, db_name=None, *, mongo=None, fake=None, **overrides):
        """The service's environment for database ``db_name`` (a fresh one by default) on the
        stack's server (or ``mongo``) with the stack's fake Stripe (or ``fake``), the stack's
        settings and ``overrides``. Databases on a server the stack was given are dropped by
        ``stop``; those of a daemon of its own go with its data directory."""
        server = mongo or self.mongo
        env = app_env(server, fake or self.fake, db_name, self.defaults, **{**self.overrides, **overrides})
        if self.app_name:
            separator = "&" if "?" in env["MONGODB_URI"] else "?"
            env["MONGODB_URI"] += f"{separator}appName={self.app_name}"
        if server is self.mongo and not self._own_mongo:
            self._databases.append(urlsplit(env["MONGODB_URI"]).path.lstrip("/"))
        return env

    def make_app(self, env=None, *, mongo=None, fake=None, **overrides):
        """An in-process app (create_app, indexes, the catalog) on ``env``; by default on a
        fresh database of ``environment(mongo=mongo, fake=fake, **overrides)``. ``stop``
        tears it down."""
        if env is None:
            env = self.environment(mongo=mongo, fake=fake, **overrides)
        elif mongo or fake or overrides:
            raise TypeError("make_app takes either env or mongo/fake/overrides")
        if self.app_log and self._log_stream is None:  # kept open for every app; stop closes it
            self._log_stream = open(self.path(self.app_log), "a", encoding="utf-8")  # noqa: SIM115
        app = build_app(env, self.catalog, self._log_stream)
        self._apps.append(app)
        return app

    def _drop_databases(self):
        names, self._databases = list(dict.fromkeys(self._databases)), []
        if names:
            client = pymongo.MongoClient(self.mongo.uri(), serverSelectionTimeoutMS=5000)
            try:
                for name in names:
                    client.drop_database(name)
            finally:
                client.close()

    def _disconnect(self):
        if self._apps:
            self._apps = []
            connection.disconnect()
        if self._log_stream is not None:
            self._log_stream.close()
            self._log_stream = None

    # -- access ----------------------------------------------------------------
    @property
    def url(self):
        """The base URL of the stack's gunicorn."""
        return self.web.url

    @property
    def directory(self):
        """The work directory (created on first use)."""
        if self._directory is None:
            self._directory = tempfile.mkdtemp(prefix="stack-")
        os.makedirs(self._directory, exist_ok=True)
        return self._directory

    def path(self, name):
        """A path inside the work directory."""
        return os.path.join(self.directory, name)

    @property
    def client(self):
        """The stack's own pymongo client on its server (no ``appName``; for assertions)."""
        if self._client is None:
            self._client = pymongo.MongoClient(self.mongo.uri(), **self.client_options)
        return self._client

    def database(self, name=None):
        """A pymongo handle on database ``name`` (the stack's own by default) via ``client``."""
        return self.client[name or self.db_name]

    def cli(self, *args):
        """``flask --app wsgi ARGS`` on the stack's environment, as an operator runs it."""
        return flask_cli(self.env, *args)
