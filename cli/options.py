"""`--as`: who files, its help, its metavar and its completion naming those who may (any of the
three with a key; a Participant only; the secretariat only). Another identity is still taken, and
refused by the rule in its own words (walkthrough 3, F9)."""

from __future__ import annotations

from typing import Annotated

import typer

from models.identities import PARTICIPANTS, Identity


def _completing(*who: Identity):
    def complete(incomplete: str) -> list[str]:
        return [i.value for i in who if i.value.startswith(incomplete.upper())]

    return complete


AsOption = Annotated[
    Identity,
    typer.Option(
        "--as",
        help="Who files: UK, ROK or SECRETARIAT (signs with that key).",
        metavar="<UK|ROK|SECRETARIAT>",
        autocompletion=_completing(*PARTICIPANTS, Identity.SECRETARIAT),
    ),
]
ParticipantAs = Annotated[
    Identity,
    typer.Option(
        "--as",
        help="Which Participant files: UK or ROK (signs with its key).",
        metavar="<UK|ROK>",
        autocompletion=_completing(*PARTICIPANTS),
    ),
]
SecretariatAs = Annotated[
    Identity,
    typer.Option(
        "--as",
        help="The SECRETARIAT files it (signs with its key).",
        metavar="SECRETARIAT",
        autocompletion=_completing(Identity.SECRETARIAT),
    ),
]
