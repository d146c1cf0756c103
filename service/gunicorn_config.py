"""gunicorn settings for Heroku-style hosts (``gunicorn -c python:service.gunicorn_config``).

Binds ``$PORT``, runs ``$WEB_CONCURRENCY`` workers, and kills a stuck request before the
router's 30 s limit. No ``preload_app``: each worker builds the app, so MongoDB
connects after the fork.
"""
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 25
graceful_timeout = 20
keepalive = 5
preload_app = False
accesslog = None  # the app logs one JSON line per request itself
errorlog = "-"
