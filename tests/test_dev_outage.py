"""`python -m service dev outage`: only the service's writes fail, and only for a while."""

import json

import pymongo
import pytest

from service.devtools import outage


@pytest.fixture
def clients(mongo):
    """(service's client named like the dev stack's, anyone else's client); the fail point is
    scoped to the service's name, so the shared server is safe for other tests."""
    web = pymongo.MongoClient(
        mongo.uri(), appname=outage.SERVICE_APP_NAME, serverSelectionTimeoutMS=2000, retryWrites=False
    )
    other = pymongo.MongoClient(mongo.uri(), serverSelectionTimeoutMS=2000)
    yield web.outage_demo, other.outage_demo
    other.drop_database("outage_demo")
    web.close()
    other.close()
    outage.disarm(mongo.uri())


def test_an_armed_outage_fails_the_services_writes_but_not_its_reads_or_other_clients(mongo, clients):
    """Writes from payments-service fail with a transient code; reads and other clients work."""
    web, other = clients
    web.orders.insert_one({"_id": "before"})
    outage.arm(mongo.uri())
    try:
        with pytest.raises(pymongo.errors.OperationFailure) as failure:
            web.orders.find_one_and_update({"_id": "before"}, {"$set": {"paid": True}})
        assert failure.value.code == outage.HOST_UNREACHABLE
        assert web.orders.find_one({"_id": "before"}) == {"_id": "before"}
        other.orders.insert_one({"_id": "other"})
    finally:
        outage.disarm(mongo.uri())
    web.orders.insert_one({"_id": "after"})


def test_a_timed_outage_ends_by_itself(mongo, clients):
    """run() disarms when its time is up, so writes work again."""
    web, _ = clients
    said = []
    outage.run(mongo.uri(), 0.2, say=lambda text, **_: said.append(text))
    web.orders.insert_one({"_id": "healed"})
    assert said[0].startswith("database outage:") and said[1].startswith("database outage over")


def test_the_command_needs_a_running_dev_stack(tmp_path, capsys):
    """Without the dev stack's state file (or its embedded database) it explains and exits 1."""
    assert outage.main(["--seconds", "1"], str(tmp_path / "missing.json")) == 1
    assert "python -m service dev" in capsys.readouterr().err
    external = tmp_path / "dev.json"
    external.write_text(json.dumps({"pid": 1, "outage_uri": None}))
    assert outage.main(["--seconds", "1", "--state-file", str(external)], "unused") == 1
    assert "embedded database" in capsys.readouterr().err
