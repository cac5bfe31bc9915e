"""Activities: the side effects, grouped by what they own. Each is safe to retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from temporalio import activity

Effect = TypeVar("Effect", bound=Callable)


def effect(name: str) -> Callable[[Effect], Effect]:
    """An activity that is a plain function (it blocks on the database, SMTP or the disk, so it runs
    on the worker's thread pool) and, once begun, runs to its end. Cancelling one (a worker
    stopping) would otherwise have the SDK raise inside its thread wherever it is: half-way through
    SQLAlchemy's set-up of a connection or its mappers, which then stayed broken for the rest of
    the process, or between writing a mail and recording it. Each is short; a stopping worker waits
    for it, and a retry finds what it did."""
    return activity.defn(name=name, no_thread_cancel_exception=True)
