"""`partnership start` and `partnership sign` (issue 13): an operator starts the Partnership from
the offices' public keys alone, and each Participant files its own signature from its own office."""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from temporalio.service import RPCError

from cli.common import (
    JsonFlag,
    Refused,
    client,
    day,
    day_option,
    partnership,
    run,
    send,
    signed_as,
    usage,
)
from cli.keys import record_pins
from cli.options import ParticipantAs
from cli.output import echo
from cli.status import show_status
from engine.keys import KeyProblem, expected_keys, pin, read_public_key
from models.identities import FILERS, Identity
from models.keyring import KeyRing, shared_key_problem
from models.partnership import SignPartnership
from models.signing import fingerprint
from workflows.partnership import PartnershipWorkflow


def registry_from(pairs: list[str]) -> dict[Identity, str]:
    """`UK=uk.pub` pairs -> identity -> public key; every filer's key, once."""
    keys: dict[Identity, str] = {}
    for pair in pairs:
        name, _, path = pair.partition("=")
        if name.upper() not in {i.value for i in FILERS} or not path:
            usage(f"--key {pair}: write IDENTITY=FILE, IDENTITY one of UK, ROK, SECRETARIAT")
        identity = Identity(name.upper())
        if identity in keys:
            usage(f"--key {identity} is given twice")
        try:
            keys[identity] = read_public_key(Path(path))
        except KeyProblem as err:
            raise Refused(str(err)) from None
    missing = [i.value for i in FILERS if i not in keys]
    if missing:
        usage(f"--key is needed for {', '.join(missing)} too: the registry holds every filer's key")
    if problem := shared_key_problem(KeyRing.model_validate(keys)):
        raise Refused(f"{problem}; nothing was started")
    return keys


@run
async def start(
    key: Annotated[list[str], typer.Option("--key", help="IDENTITY=public key file, for UK, ROK and SECRETARIAT.")],
    json_out: JsonFlag = False,
) -> None:
    """Start the Partnership with this registry of public keys (no private key needed); its
    signatures are then filed by each Participant from its own office (`partnership sign`)."""
    from engine.archive import ensure_archive_schedule, retention, retention_note
    from engine.bootstrap import ensure_search_attributes, start_partnership, text_sha256
    from models.partnership import PartnershipState

    keys = registry_from(key)
    known = expected_keys()
    for identity, public in keys.items():
        if identity in known and known[identity][0] != public:
            held, how = known[identity]
            raise Refused(f"--key {identity} is {fingerprint(public)}; {how} {fingerprint(held)}: nothing was started")
    c = await client()
    await ensure_search_attributes(c)
    handle = await start_partnership(c, state=PartnershipState(keys=keys, text_sha256=text_sha256()))
    running = (await handle.query(PartnershipWorkflow.key_ring)).fingerprints()
    for identity, public in keys.items():
        if running.get(identity) != fingerprint(public):
            raise Refused(
                f"a Partnership already runs, holding key {running.get(identity)} for {identity}; "
                f"--key gives {fingerprint(public)}"
            )
    for identity, public in keys.items():
        if identity not in known:
            pin(identity, public, "given to `partnership start`")
    checked = await partnership()  # one started before with other keys is refused here
    for line in await record_pins():  # the secretariat's office: the keys it was given, now pinned
        echo(line, err=True)  # stdout is the status (`--json`)
    await ensure_archive_schedule(c)
    with contextlib.suppress(RPCError):  # a role that may not describe the namespace: nothing to say
        if note := retention_note(await retention(c)):
            echo(note, err=True)
    status = await checked.query(PartnershipWorkflow.status)
    if not json_out:
        for identity, fp in status.keys.items():
            echo(f"{identity:<12} {fp}")
    show_status(status, json_out)


@run
async def sign_command(
    filer: ParticipantAs,
    signed_on: Annotated[datetime | None, day_option("The date on the signed copy; default today.")] = None,
) -> None:
    """¶31: file this Participant's signature of the text, from its own office."""
    if not filer.is_participant:
        usage(f"only a Participant signs the Partnership, not {filer}")
    handle = await partnership()
    status = await handle.query(PartnershipWorkflow.status)
    filing = SignPartnership(
        filed_by=filer, signed_on=day(signed_on) or datetime.now().date(), text_sha256=status.text_sha256
    )
    receipt = await send(handle, PartnershipWorkflow.sign, signed_as(filing, handle.id))
    since = f" since {receipt.in_effect_since}" if receipt.in_effect_since else ""
    echo(f"{filer} signature received {receipt.received_at:%Y-%m-%d %H:%MZ}; the Partnership is {receipt.state}{since}")
    for line in await record_pins():  # the pins this office made before the Partnership ran
        echo(line, err=True)
