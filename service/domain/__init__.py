"""Pure, typed decisions: the order state machine, refund/dispute annotations, the inbox's
states and the rules checkout prices and validates by.

Nothing here imports Flask, mongoengine, pymongo or stripe (an import-linter contract in
pyproject.toml enforces it), and nothing here reads a clock or does I/O: callers pass
``now`` and plain data in and get plain data back.
"""
