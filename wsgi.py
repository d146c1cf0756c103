"""The WSGI app for gunicorn and ``flask --app wsgi``. A configuration that cannot run the
service stops the process with one line per problem, not a traceback; under the ``flask``
command, ``--help`` still works (``service.load_app``)."""

from service import load_app

app = load_app()
