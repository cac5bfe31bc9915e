"""`partnership keys …`: one office's own Ed25519 keys under <data dir>/keys/."""

from __future__ import annotations

import typer

from engine import config
from engine.keys import init_keys

keys_app = typer.Typer(help="Ed25519 keys of UK, ROK and SECRETARIAT under <data dir>/keys/.")


@keys_app.command("init")
def keys_init() -> None:
    """Create a key pair for each filer that has none (existing keys are kept)."""
    for identity, created in init_keys().items():
        state = "created" if created else "kept"
        typer.echo(f"{identity.value:<12} {state}  {config.keys_dir()}/{identity.value.lower()}.key")
