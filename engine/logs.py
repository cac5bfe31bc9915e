"""structlog for everything: console by default, JSON lines with `LOG_FORMAT=json`.

Workflow logs go through `workflow.logger` (stdlib) and are rendered by the same processors, so
both kinds of line look alike and carry the workflow's identity.
"""

from __future__ import annotations

import logging
import os
import sys

import structlog
from temporalio import activity

_SHARED: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure(fmt: str | None = None, level: int = logging.INFO) -> None:
    """Route structlog and stdlib logging through one renderer on stderr."""
    fmt = fmt or os.environ.get("LOG_FORMAT", "console")
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder()],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)


def activity_logger() -> structlog.stdlib.BoundLogger:
    """A logger bound to the running activity's workflow id, run id and activity type."""
    info = activity.info()
    return structlog.get_logger("activities").bind(
        workflow_id=info.workflow_id,
        run_id=info.workflow_run_id,
        activity_type=info.activity_type,
        attempt=info.attempt,
    )
