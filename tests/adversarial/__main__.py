"""``python -m tests.adversarial``: see run.py."""

import sys

from .run import main

sys.exit(main())
