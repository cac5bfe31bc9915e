"""The agreement's text as signed on 22 November 2023, shipped as package data so that any install
(`pip install .`, a wheel) carries it, not only a checkout."""

from __future__ import annotations

from importlib.resources import files

NAME = "uk-rok-digital-partnership-2023.txt"


def agreement_bytes() -> bytes:
    """The signed text, byte for byte (its SHA-256 is the Partnership's text hash)."""
    return files(__package__).joinpath(NAME).read_bytes()


def agreement_text() -> str:
    return agreement_bytes().decode("utf-8")
