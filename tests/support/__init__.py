"""What the tests share, imported as ``tests.support.<module>`` (never from a conftest):

- ``helpers``: test keys and catalog, checkout and signed-webhook calls, ``wait_for``.
- ``processes``: gunicorn as the Procfile runs it, the operator's ``flask`` CLI, /proc children.
- ``money``: the charge behind a PaymentIntent and Stripe-shaped dispute events.
- ``stack``: ``ServiceStack`` (database daemon + fake Stripe + the app in process or under
  gunicorn), ``app_env``, ``build_app``, ``ExternalMongo``.
"""
