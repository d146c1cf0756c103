"""gunicorn's logger, skipping the access-log line's construction when that log is silent.

gunicorn builds every request's access-log atoms (a dict of ~30 entries and its case-insensitive
wrapper) whenever a logging configuration is given, before the ``gunicorn.access`` logger's
level drops the line; gunicorn_config.py gives one (``logconfig_dict``, for JSON lines) and
keeps that logger at WARNING, since the app writes the request line itself (http/errors.py).
That construction was about 5 % of a worker's CPU on the webhook hot path (a worker profile:
0.3 s of 5.9 s). Here the access path is taken only when ``gunicorn.access`` would write an
INFO line; raising its level to INFO in the configuration brings gunicorn's line back unchanged.
"""

import logging

from gunicorn.glogging import Logger as GunicornLogger


class Logger(GunicornLogger):
    """gunicorn's ``glogging.Logger`` whose access log is on only when it would write."""

    @property
    def access_log_enabled(self) -> bool:
        """True when gunicorn's own rules enable the access log and ``gunicorn.access``
        passes INFO lines (looked up per request: logging caches the answer)."""
        return bool(super().access_log_enabled) and self.access_log.isEnabledFor(logging.INFO)
