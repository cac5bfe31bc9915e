"""Imported once by the fork server of tests/cli_runner.py before it forks any command: the CLI's
every sub-command, the worker with every workflow and activity, and every model built."""

import starter
import worker  # noqa: F401  (imported for its children)
from models.base import build_all

starter.load_all()
build_all()
