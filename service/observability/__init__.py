"""What an operator sees: JSON log lines (``logs``), alert lines with a stable ``alert``
field (``alerts``) and this process's Prometheus counters (``metrics``)."""
