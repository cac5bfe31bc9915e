"""structlog for everything: console by default, JSON lines with `LOG_FORMAT=json`.

Workflow logs go through `workflow.logger` (stdlib) and are rendered by the same processors, so
both kinds of line look alike and carry the workflow's identity.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import structlog
from temporalio import activity, workflow

_SHARED: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _lift_temporal_context(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """The SDK's workflow and activity loggers attach their context as one dict; lift the parts
    that identify the run so every line, ours or the SDK's, says workflow_id and run_id alike."""
    if context := event.pop("temporal_workflow", None):
        event.setdefault("workflow_id", context.get("workflow_id"))
        event.setdefault("run_id", context.get("run_id"))
        event.setdefault("workflow_type", context.get("workflow_type"))
        if "update_name" in context:
            event.setdefault("update", context["update_name"])
    if context := event.pop("temporal_activity", None):
        event.setdefault("workflow_id", context.get("workflow_id"))
        event.setdefault("run_id", context.get("workflow_run_id"))
        event.setdefault("activity_type", context.get("activity_type"))
        event.setdefault("attempt", context.get("attempt"))
    return event


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
            foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder(), _lift_temporal_context],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    # The context goes into fields (lifted above), not into the message text.
    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
