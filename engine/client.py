"""The one way to a Temporal client, for the CLI, the worker and the tests.

Connection settings come from `temporalio.envconfig`: `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`,
`TEMPORAL_API_KEY`, `TEMPORAL_TLS*`, `TEMPORAL_PROFILE` and the TOML profile file, so the same
worker runs against the embedded dev server, a self-hosted cluster or Temporal Cloud.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig

from engine import config as settings

DEFAULT_ADDRESS = "localhost:7233"


def embedded_address_file() -> Path:
    """Where `partnership up` writes the address of the dev server it runs."""
    return settings.data_dir() / "temporal.address"


def embedded_ui_file() -> Path:
    """Where `partnership up` writes the address of its Temporal Web UI (a console started beside
    the stack on the same data dir links to it, whatever `--ui-port` the stack was given)."""
    return settings.data_dir() / "temporal.ui"


def connect_config(address: str | None = None) -> dict[str, Any]:
    """envconfig's connect arguments. With no address configured anywhere, the embedded stack's
    (when `partnership up` runs on this data dir), else localhost:7233. `address` wins."""
    try:
        config: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    except RuntimeError as err:  # the SDK's ConfigError: an unknown profile, a file that does not parse
        raise Unreachable(
            f"the Temporal client settings cannot be used (TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE): {err}"
        ) from None
    if "target_host" not in config and not address:
        if problem := missing_data_dir():
            # Else the default address would answer: another stack's server, read without a word.
            raise Unreachable(f"{problem}: no stack runs there; set the office's data dir, or TEMPORAL_ADDRESS")
        running = embedded_address_file()
        config["target_host"] = running.read_text().strip() if running.exists() else DEFAULT_ADDRESS
    if address:
        config["target_host"] = address
    return config


def missing_data_dir() -> str | None:
    """The data dir PARTNERSHIP_DATA_DIR names, where it does not exist (a typo, most often)."""
    chosen = os.environ.get("PARTNERSHIP_DATA_DIR")
    if chosen and not settings.data_dir().is_dir():
        return f"PARTNERSHIP_DATA_DIR is {chosen}, which does not exist"
    return None


class Unreachable(Exception):
    """Temporal did not answer at the configured address."""


class StackError(Exception):
    """The embedded stack cannot start or stop as asked (defined here, not in engine/stack.py, so
    that every CLI command can catch it without importing the stack's machinery)."""


async def connect(address: str | None = None) -> Client:
    config = connect_config(address)
    try:
        return await Client.connect(**config, data_converter=pydantic_data_converter)
    except RuntimeError as err:
        raise Unreachable(
            f"Temporal did not answer at {config['target_host']} ({where_from(address)}): if it is "
            "restarting, retry in a moment; if no server runs there, start one (`partnership up`) or set "
            "TEMPORAL_ADDRESS"
        ) from err


def where_from(address: str | None) -> str:
    """Which setting chose the address, so a user sees which server and data dir a command used."""
    if address:
        return "given"
    if "target_host" in ClientConfig.load_client_connect_config():
        return "from TEMPORAL_ADDRESS or the Temporal profile"
    running = embedded_address_file()
    if running.exists():
        return f"from {running}"
    return f"the default; no stack runs on the data dir {settings.data_dir()}"
