"""Imported once by the fork server of tests/cli_runner.py before it forks any command: the CLI's
every sub-command, the worker with every workflow and activity, and every model built, under an
environment that points nowhere (a module that read a setting at import would fail the tests that
fork from here, not hide behind the fork). What is imported: tests/preload.py."""

import os
import sys

from tests.cli_runner import ROOT, pointing_nowhere
from tests.preload import import_everything

# Neither the directory the tests happened to start in (`python -c` puts it first) nor the checkout
# (PYTHONPATH found this module there): what the commands import resolves as for the installed
# script, so a module the installation lacks fails here too (review 7, F6).
sys.path[:] = [p for p in sys.path if p not in ("", str(ROOT))]
nowhere = pointing_nowhere(dict(os.environ))
os.environ.clear()
os.environ.update(nowhere)

import_everything()  # under the environment above
