"""The WSGI app for gunicorn and ``flask --app wsgi``. A configuration that cannot run the
service stops the process with one line naming every problem, not a traceback."""

from service import create_app
from service.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    raise SystemExit(f"payments: {exc.message}") from None
