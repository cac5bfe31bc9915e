"""The agreement's text as signed on 22 November 2023, shipped as package data so that any install
(`pip install .`, a wheel) carries it, not only a checkout."""

from __future__ import annotations

import re
from importlib.resources import files

from pydantic import BaseModel

NAME = "uk-rok-digital-partnership-2023.txt"


def agreement_bytes() -> bytes:
    """The signed text, byte for byte (its SHA-256 is the Partnership's text hash)."""
    return files(__package__).joinpath(NAME).read_bytes()


def agreement_text() -> str:
    return agreement_bytes().decode("utf-8")


# The signed text cut into its numbered paragraphs, for the consolidated text (¶33). A paragraph is
# its numbered block and the lettered items under it (a., b., …). Headings between paragraphs
# ("Pillar two: …", "Semiconductors") and the closing signature block belong to no paragraph: an
# amendment listed under ¶11 comes right after ¶11's items, before the next heading.

NUMBERED = re.compile(r"^(\d+)\. ")
LETTERED = re.compile(r"^[a-z]\. ")


class Block(BaseModel):
    """A run of the text: a numbered paragraph (with its items), or the words between them."""

    paragraph: int | None  # None: a heading, the preamble or the signature block
    text: str


def blocks(signed: str) -> list[Block]:
    """The text in order, every character kept (joined with blank lines it reads as signed)."""
    out: list[Block] = []
    for chunk in re.split(r"\n\s*\n", signed.strip()):
        numbered = NUMBERED.match(chunk)
        if numbered:
            out.append(Block(paragraph=int(numbered.group(1)), text=chunk))
        elif LETTERED.match(chunk) and out and out[-1].paragraph is not None:
            out[-1] = Block(paragraph=out[-1].paragraph, text=f"{out[-1].text}\n\n{chunk}")
        elif out and out[-1].paragraph is None:
            out[-1] = Block(paragraph=None, text=f"{out[-1].text}\n\n{chunk}")
        else:
            out.append(Block(paragraph=None, text=chunk))
    return out
