"""The adversarial suite (tests/adversarial/) at its default size, under gunicorn as the
Procfile runs it: every attack class is tried and none succeeds. ``python -m tests.adversarial
--size 3`` is the bigger run whose table is in SECURITY.md."""

import pytest

from tests.adversarial.run import ATTACKS, table
from tests.adversarial.slow import slow_clients
from tests.adversarial.target import Target

SIZE = 1


@pytest.fixture(scope="module")
def target():
    target = Target()
    yield target
    target.close()


@pytest.fixture(scope="module")
def tallies():
    """Filled by the tests in order, printed at the end of the module."""
    collected = []
    yield collected
    print("\n" + "\n".join(table(collected)))


@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.__name__ for attack in ATTACKS])
def test_no_attack_succeeds(target, tallies, attack):
    """Each class runs its bounded attempts against the live instance; every one is held."""
    tally = attack(target, SIZE, idle=200, stalled=64) if attack is slow_clients else attack(target, SIZE)
    tallies.append(tally)
    assert tally.attempts > 0
    assert not tally.succeeded, (tally.name, tally.succeeded[:5])
