"""The service's Flask class answers ``ensure_sync`` as Flask does (service/http/flask_app.py)."""

import functools

import pytest
from flask import Flask


def view():
    return "ok"


async def async_view():
    return "ok"


def test_a_plain_function_is_its_own_sync_form_and_is_remembered(app):
    """create_app builds the service's class; a plain view comes back as itself, remembered."""
    assert type(app).__name__ == "ServiceFlask"
    assert app.ensure_sync(view) is view
    assert app.ensure_sync(view) is view
    assert app._sync[view] is view


def test_other_callables_get_flasks_own_answer(app):
    """A partial is not remembered; an ``async def`` gets what Flask itself gives it."""
    partial = functools.partial(view)
    assert app.ensure_sync(partial) is partial
    assert partial not in app._sync
    try:
        expected = Flask("reference").ensure_sync(async_view)
    except RuntimeError as refusal:  # Flask without its async extra refuses async views
        with pytest.raises(RuntimeError, match=str(refusal)[:20]):
            app.ensure_sync(async_view)
    else:
        assert type(app.ensure_sync(async_view)) is type(expected)
