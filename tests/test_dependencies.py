"""The dependency locks: every package pinned with hashes (pip's hash-checking mode), the
direct dependencies of the .in files locked at their versions, and the dev lock using the
runtime lock's versions."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)")


def lock(name):
    """{package (normalised): (version, number of hashes)} of a lock file."""
    text = (ROOT / name).read_text(encoding="utf-8")
    entries = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = PIN.match(block)
        if match:
            entries[_norm(match.group(1))] = (match.group(2), block.count("--hash=sha256:"))
    return entries


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def direct(name):
    """{package: version} pinned in a .in file (``-r``/``-c`` lines skipped)."""
    pins = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[_norm(match.group(1))] = match.group(2)
    return pins


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_locked_package_is_pinned_and_hashed(name):
    """No line without a version and at least one sha256 hash."""
    entries = lock(name)
    assert len(entries) >= 20
    assert all(hashes >= 1 for _, hashes in entries.values()), [p for p, (_, h) in entries.items() if not h]


def test_direct_dependencies_are_locked_at_their_pins():
    """requirements.in's pins are the runtime lock's versions; the dev lock agrees on every runtime package."""
    runtime, dev = lock("requirements.txt"), lock("requirements-dev.txt")
    for package, version in direct("requirements.in").items():
        assert runtime[package][0] == version, package
    for package, (version, _) in runtime.items():
        assert dev[package][0] == version, package
    for package, version in direct("requirements-dev.in").items():
        assert dev[package][0] == version, package
