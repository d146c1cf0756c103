"""`--help` on every command: exit 0, a description that is a whole sentence, and help text
for every option (the team's rule; README item: `dev --help` options had none, descriptions
were cut mid-sentence)."""

import re
import subprocess
import sys

import click
import pytest

from tests.support.processes import ROOT

PROGRAMS = [
    ("service",),
    ("service", "dev"),
    ("service", "dev", "env"),
    ("service", "dev", "outage"),
    ("tests.chaos",),
    ("tests.benchmarks.run",),
    ("service.devtools.fake_stripe",),
]


def options_without_help(text):
    """The option entries of argparse's --help output that have no help text."""
    lines = text.split("\noptions:\n", 1)[1].splitlines()
    missing = []
    for index, line in enumerate(lines):
        if not line.startswith("  -"):
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        same_line = len(re.split(r"\s{2,}", line.strip())) > 1
        next_line = following.startswith(" " * 10) and not following.lstrip().startswith("-")
        if not (same_line or next_line):
            missing.append(line.strip())
    return missing


@pytest.mark.parametrize("program", PROGRAMS, ids=" ".join)
def test_every_program_explains_itself_in_whole_sentences(program):
    """`python -m PROGRAM --help`: exit 0; the description ends its sentence; every option has help."""
    module, *args = program
    result = subprocess.run(
        [sys.executable, "-m", module, *args, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    if module == "service" and not args:
        assert "dev env" in result.stdout and "dev outage" in result.stdout
        return
    description = " ".join(result.stdout.split("\n\n")[1].split())
    assert description.endswith("."), description
    assert options_without_help(result.stdout) == []


def commands(group, path=()):
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


def test_every_flask_command_and_option_has_help_text(app):
    """Every `flask --app wsgi` command has a docstring sentence and every option a help text;
    `--help` of each exits 0."""
    runner = app.test_cli_runner()
    for path, command in commands(app.cli):
        assert (command.help or "").strip().endswith("."), path
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, (path, param.name)
        result = runner.invoke(args=[*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
