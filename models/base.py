"""Every model here is built (its validator and serializer made) when first used, not on import, and
every process that runs workflows builds them all before the first one runs.

Why: a CLI command imports nearly every model (the Partnership's state names them all) but uses a
handful; building all of them on import was about a tenth of what a read or a filing costs
(issue 15). A model first used inside the workflow sandbox must not be built there, though: its
build would run in the sandbox, in the middle of a workflow task. So `build_all` builds every model
up front, and `worker.workflow_runner` (every sandboxed runner comes from it) and the audit's
replayer call it; tests/test_models_built.py fails if a model could reach a workflow unbuilt.
"""

from __future__ import annotations

import importlib
import pkgutil

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """The base of our models: built on first use (`defer_build`), or by `build_all`."""

    model_config = ConfigDict(defer_build=True)


def every_model() -> list[type[BaseModel]]:
    """Every pydantic model defined in the models package, each of its modules imported."""
    import models

    found: list[type[BaseModel]] = []
    for info in pkgutil.walk_packages(models.__path__, "models."):
        module = importlib.import_module(info.name)
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module.__name__
        ]
    return found


def build_all() -> None:
    """Build every model now (a no-op for one already built): before any workflow runs."""
    for model in every_model():
        model.model_rebuild()
