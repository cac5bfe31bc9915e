"""How the CLI prints for people (`echo`, `table`) and for programs (`emit`, the `--json` of every
read): one place for each format."""

from __future__ import annotations

import json
from typing import Any

import typer
from pydantic import BaseModel

from models.limits import control_free


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`1 history`, `2 histories`: a count with its noun as English says it."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def echo(message: str = "", err: bool = False, nl: bool = True) -> None:
    """Every line the CLI prints for people. Filer-supplied text in it cannot move the cursor,
    clear the screen or rewrite a line: its control characters show as escapes (ESC as \\x1b)."""
    typer.echo(control_free(message, keep="\n\t"), err=err, nl=nl)


def table(columns: list[str], rows: list[list[Any]]) -> None:
    """Every list the CLI prints for people: one row per item under a header line, through rich.
    Cells are plain text (filer-supplied `[bold]` is not markup) with control characters escaped
    as in `echo`; piped or redirected, the table is as wide as its widest row instead of wrapping
    at 80 columns, so `grep` and scripts see one line per item (`--json` is the stable format)."""
    import sys

    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for name in columns:
        grid.add_column(name)
    for row in rows:
        grid.add_row(*(Text(control_free("" if cell is None else str(cell))) for cell in row))
    Console(width=None if sys.stdout.isatty() else 10_000, highlight=False).print(grid)


def emit(model: BaseModel | list[Any] | dict[str, Any]) -> None:
    if isinstance(model, BaseModel):
        data: Any = model.model_dump(mode="json")
    elif isinstance(model, list):
        data = [m.model_dump(mode="json") if isinstance(m, BaseModel) else m for m in model]
    else:
        data = model
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
