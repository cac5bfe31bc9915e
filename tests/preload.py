"""What a command may import while it runs, imported once by each interpreter the tests fork
commands from (tests/cli_runner.py: the CLI runner and the fork server), so that no run pays for
it again: every sub-command, every module of ours (a command imports some of them only when it
reaches them: the worker, the stack, the archive, the replay, the console), the third-party
modules they import late (typer's help and error formatting, the PostgreSQL driver, SQLAlchemy's
dialects), and every model built. Nothing here may start a thread or read a setting: the
interpreter forks afterwards, under an environment that points nowhere."""

from __future__ import annotations

import importlib
import pkgutil

#: Our packages, every module of each.
PACKAGES = ("activities", "audit", "cli", "console", "engine", "models", "rules", "workflows")
#: Imported by our modules only when a command reaches them.
LATE = ("typer.rich_utils", "psycopg", "sqlalchemy.dialects.sqlite", "sqlalchemy.dialects.postgresql")


def import_everything() -> None:
    import starter
    import worker  # noqa: F401  (the worker and every workflow and activity)
    from models.base import build_all

    starter.load_all()
    # Frozen once imported, as a command's own imports are (starter.no_collection): a fork's
    # garbage collector then never walks them, which would copy every page they are on.
    with starter.no_collection():
        for name in PACKAGES:
            package = importlib.import_module(name)
            for module in pkgutil.walk_packages(package.__path__, f"{name}."):
                importlib.import_module(module.name)
        for name in LATE:
            importlib.import_module(name)
        build_all()
