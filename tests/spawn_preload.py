"""Imported once by the fork server of tests/cli_runner.py before it forks any command: the CLI's
every sub-command, the worker with every workflow and activity, and every model built, under an
environment that points nowhere (a module that read a setting at import would fail the tests that
fork from here, not hide behind the fork). What is imported: tests/preload.py."""

import os
import sys

from tests.cli_runner import pointing_nowhere

# Not the directory the tests happened to start in (`python -c` puts it first): only the checkout.
sys.path[:] = [p for p in sys.path if p != ""]
nowhere = pointing_nowhere(dict(os.environ))
os.environ.clear()
os.environ.update(nowhere)

from tests.preload import import_everything  # noqa: E402

import_everything()  # under the environment above
