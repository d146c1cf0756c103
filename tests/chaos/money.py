"""Money after the payments, for a chaos run: refunds, disputes (won and lost) and an automatic
payout that reaches the bank, as Stripe makes them; then the ledger's invariants."""

from collections import Counter

LEDGER_READ_FAULTS = ("500", "429", "reset")


def money_movements(fake, rng, placed, faults):
    """Refund or dispute some paid orders' charges and pay out what is available; returns the
    events those movements emitted (to be delivered like the others)."""
    start = len(fake.events)
    succeeded = [pi_id for _, pi_id in placed if fake.payment_intents[pi_id]["status"] == "succeeded"]
    for pi_id in succeeded:
        roll = rng.random()
        if roll < 0.06:
            fake.refund(pi_id, 500)
            faults["money: partial refund"] += 1
        elif roll < 0.09:
            fake.refund(pi_id)
            faults["money: full refund"] += 1
        elif roll < 0.12:
            dispute = fake.open_dispute(pi_id)
            won = rng.random() < 0.5
            (fake.win_dispute if won else fake.lose_dispute)(dispute["id"])
            faults["money: dispute " + ("won" if won else "lost")] += 1
    if succeeded:
        payout = fake.run_automatic_payout("usd")
        fake.pay_payout(payout["id"])
        faults["money: automatic payout"] += 1
    return fake.events[start:]


def ledger_read_faults(fake, rng, faults, count):
    """Script ``count`` faults on the ledger worker's balance-transaction reads."""
    for _ in range(count):
        kind = rng.choice(LEDGER_READ_FAULTS)
        if kind == "reset":
            fake.inject("GET", "/v1/balance_transactions", "reset")
        else:
            fake.inject("GET", "/v1/balance_transactions", "error", status=int(kind))
        faults["stripe ledger read " + kind] += 1


def ledger_figures(db, fake):
    """The ledger's invariants against the fake's books: entries that do not balance, balance
    transactions without a matching entry (or entries without one), and the Stripe balance
    per currency in the ledger against the fake's available + pending."""
    entries = {doc["_id"]: doc for doc in db.ledger.find()}
    txns = fake.balance_transactions
    unbalanced = sum(1 for doc in entries.values() if sum(line["amount"] for line in doc["lines"]) != 0)
    unmatched = 0
    for txn_id, txn in txns.items():
        entry = entries.get("bt:" + txn_id)
        if entry is None or any(entry[name] != txn[name] for name in ("amount", "fee", "net", "currency")):
            unmatched += 1
    unmatched += sum(1 for entry_id in entries if entry_id.startswith("bt:") and entry_id[3:] not in txns)
    ours = Counter()
    for doc in entries.values():
        ours[doc["currency"]] += sum(line["amount"] for line in doc["lines"] if line["account"] == "stripe_balance")
    balance = fake.balance()
    stripe = Counter()
    for part in ("available", "pending"):
        for row in balance[part]:
            stripe[row["currency"]] += row["amount"]
    currencies = set(ours) | set(stripe)
    return {
        "balance_transactions": len(txns),
        "ledger_entries": len(entries),
        "ledger_unbalanced": unbalanced,
        "balance_transactions_unmatched": unmatched,
        "stripe_balance_differs": sum(1 for currency in currencies if ours[currency] != stripe[currency]),
        "ledger_pending": db.stripe_events.count_documents({"ledger": {"$exists": True}}),
    }
