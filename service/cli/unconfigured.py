"""The ``flask --app wsgi`` commands when the configuration is incomplete: they are listed and
their ``--help`` works, but running one prints the problems, one line each, and exits 1."""

import copy
import sys

import click
from flask import Flask

from ..config import ConfigError
from . import register


def refusing_app(problem: ConfigError) -> Flask:
    """An app with no routes whose command tree is the real one with every command refusing."""
    app = Flask("service")
    register(app)
    for name, command in list(app.cli.commands.items()):
        app.cli.commands[name] = _refusing(command, problem)
    return app


def _refusing(command: click.Command, problem: ConfigError) -> click.Command:
    clone = copy.copy(command)
    if isinstance(clone, click.Group):
        clone.commands = {name: _refusing(sub, problem) for name, sub in clone.commands.items()}
        return clone

    def refuse(**_: object) -> None:
        for line in problem.lines():
            click.echo(line, err=True)
        sys.exit(1)

    clone.callback = refuse
    return clone
