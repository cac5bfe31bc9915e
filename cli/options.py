"""`--as` for filings only a Participant makes, or only the secretariat: the same option as
`cli.common.AsOption`, its help saying who files (another identity is refused by the rule, in
its own words: walkthrough 3, F9)."""

from __future__ import annotations

from typing import Annotated

import typer

from models.identities import Identity

ParticipantAs = Annotated[
    Identity, typer.Option("--as", help="Which Participant files: UK or ROK (signs with its key).")
]
SecretariatAs = Annotated[Identity, typer.Option("--as", help="The SECRETARIAT files it (signs with its key).")]
