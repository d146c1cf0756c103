"""Benchmarks (not part of the default test run): ``python -m tests.benchmarks.run``.

Modules: ``run`` (the one command), ``stack`` (database daemon, fake Stripe, loadgen
runner), ``servers`` (gunicorn as the Procfile runs it, RSS, CPU, server-side command
counts), ``bare_app`` (the bare reference receiver), ``workload`` (orders and pre-signed
events), ``loadgen`` (the external load generator process), ``dbcommands`` (in-process
command counts), ``webhook_bench``, ``checkout_bench``, ``dbcost``, ``reconcile_bench``
(the phases) and ``report`` (Markdown).
"""
