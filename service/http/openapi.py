"""``GET /openapi.json``: the OpenAPI 3.1 description of the public and admin HTTP API.

The description is a file kept in the repository (``service/openapi.json``) and checked by the
tests against real responses; it is read on the first request (no I/O at import)."""

import functools
import os

from flask import Blueprint, Flask, Response

bp = Blueprint("openapi", __name__)
SPEC_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "openapi.json")


@functools.cache
def _spec() -> bytes:
    with open(SPEC_PATH, "rb") as handle:
        return handle.read()


@bp.get("/openapi.json")
def openapi() -> Response:
    """The description, as kept in the repository."""
    return Response(_spec(), content_type="application/json")


def register(app: Flask) -> None:
    """Attach GET /openapi.json to ``app``."""
    app.register_blueprint(bp)
