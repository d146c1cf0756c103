"""gunicorn's access-log line is not even built while ``gunicorn.access`` is silent
(service/gunicorn_logger.py), and comes back when its level passes INFO."""

import json
import os
import subprocess
import sys

from tests.support.processes import ROOT

_PROBE = """
import json, logging, sys
from gunicorn.config import Config
from service import gunicorn_config
from service.gunicorn_logger import Logger
cfg = Config()
cfg.set("logconfig_dict", gunicorn_config.logconfig_dict)
log = Logger(cfg)
silent = log.access_log_enabled
logging.getLogger("gunicorn.access").setLevel(logging.INFO)
print(json.dumps([gunicorn_config.logger_class, silent, log.access_log_enabled]))
"""


def test_the_access_line_is_built_only_when_it_would_be_written(tmp_path):
    """The service's gunicorn configuration selects this logger; with its logging
    configuration the access log is off, and at INFO it is on (a subprocess: importing the
    configuration sets up the metrics directory, and ``dictConfig`` rewires logging)."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}  # else the config makes a temporary one
    done = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["service.gunicorn_logger.Logger", False, True]
