"""The catalog from the operator's side: `products list`, `products import` saying what it
did, and archiving a product (no longer sold; orders that bought it keep it)."""

import json

from tests.support.helpers import checkout, new_order


def run(app, *args):
    return app.test_cli_runner().invoke(args=["products", *args])


def test_import_says_what_it_created_updated_and_left_unchanged(app, tmp_path):
    """A re-import reports every sku unchanged; a new price is an update; a new sku a creation."""
    catalog = tmp_path / "catalog.json"
    entries = [
        {"sku": "tee", "name": "T-shirt", "unit_amount": 2000, "currency": "usd"},
        {"sku": "mug", "name": "Mug", "unit_amount": 1400, "currency": "usd"},
        {"sku": "cap", "name": "Cap", "unit_amount": 1500, "currency": "usd"},
    ]
    catalog.write_text(json.dumps(entries))
    result = run(app, "import", str(catalog), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"created": ["cap"], "updated": ["mug"], "unchanged": ["tee"]}
    again = run(app, "import", str(catalog))
    assert again.output.strip() == "imported: created 0, updated 0, unchanged 3"
    catalog.write_text(json.dumps([{"sku": "tee", "name": "T-shirt", "unit_amount": -1, "currency": "usd"}]))
    refused = run(app, "import", str(catalog), "--json")
    assert refused.exit_code == 1 and json.loads(refused.stdout)["error"]["code"] == "validation_failed"


def test_an_archived_product_cannot_be_bought_but_past_orders_keep_it(app, client):
    """Archive: the page's listing drops it, checkout answers 422 product_archived, an earlier
    order still shows it; restore puts it on sale again."""
    order_id, _ = new_order(client)
    assert run(app, "archive", "tee").output.strip() == "tee (T-shirt): archived"
    assert "tee" not in [product["sku"] for product in client.get("/products").get_json()["products"]]
    refused = checkout(client, [{"sku": "tee", "quantity": 1}])
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "product_archived"
    assert client.get(f"/orders/{order_id}").get_json()["items"][0]["sku"] == "tee"
    listed = json.loads(run(app, "list", "--json").stdout)["products"]
    assert {product["sku"]: product["archived"] for product in listed} == {"print": False, "mug": False, "tee": True}
    assert "(archived)" in run(app, "list").output
    assert run(app, "restore", "tee").exit_code == 0
    assert checkout(client, [{"sku": "tee", "quantity": 1}]).status_code == 201
    missing = run(app, "archive", "nope")
    assert missing.exit_code == 1 and "no product nope" in missing.output
