"""Fixtures for the fault tests: one FaultStack per module (``STACK_ENV`` in the module
overrides settings), faults disarmed after every test."""

import pytest

from tests.faults.stack import FaultStack


@pytest.fixture(scope="module")
def stack(request, tmp_path_factory):
    """A running FaultStack shared by the module's tests."""
    overrides = getattr(request.module, "STACK_ENV", {})
    running = FaultStack(str(tmp_path_factory.mktemp("faults")), **overrides).start()
    yield running
    running.stop()


@pytest.fixture
def faults(stack):
    """The module's stack, with every database and Stripe fault disarmed afterwards."""
    yield stack
    stack.no_faults()
