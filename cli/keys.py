"""`partnership keys …`: one office's own Ed25519 keys and its pins of the others' (issue 13)."""

from __future__ import annotations

import asyncio
import base64
import sys
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from cli.common import (
    JsonFlag,
    Refused,
    check_registry,
    explain,
    fail,
    forget_connection,
    no_answer,
    partnership,
    run,
    send,
    signed_as,
    usage,
)
from cli.options import AsOption, ParticipantAs
from cli.output import echo, emit
from engine import config
from engine.client import Unreachable
from engine.keys import (
    PASSPHRASE_ENV,
    KeyProblem,
    expected_keys,
    init_keys,
    key_file_label,
    load_private_key,
    mark_recorded,
    new_key_passphrase,
    office,
    office_identities,
    office_name,
    pin,
    pins,
    private_key_path,
    public_key_path,
    read_public_key,
    read_public_key_file,
    retire,
    typed,
    write_key_pair,
)
from models.identities import FILERS, Identity
from models.keyring import KeyPin, KeyRevocation, KeyRing, KeyRotation
from models.signing import fingerprint, public_key_text, sign
from workflows.partnership import PartnershipWorkflow

keys_app = typer.Typer(help="This office's own Ed25519 keys and its pins of the others' keys (<data dir>/keys/).")

PubFile = Annotated[
    Path, typer.Argument(help="A public key file (`partnership keys export` writes one).", metavar="FILE")
]


def own(identity: Identity) -> Identity:
    if identity is Identity.AUDITOR or identity not in office_identities():
        usage(f"this office is {office_name()}; it holds no key for {identity}")
    return identity


def on_a_terminal() -> bool:
    return sys.stdin.isatty()


def passphrase_for_new_keys() -> bool:
    """Whether the keys about to be made are encrypted at rest: with PARTNERSHIP_KEY_PASSPHRASE,
    or, on a terminal without it, with the passphrase asked for now (empty: none)."""
    if new_key_passphrase() is None and on_a_terminal():
        typed(
            typer.prompt(
                "Passphrase to encrypt the private key at rest (empty: none)",
                default="", hide_input=True, confirmation_prompt=True, show_default=False,
            )
        )  # fmt: skip
    return new_key_passphrase() is not None


def say_if_in_clear(encrypted: bool) -> None:
    if not encrypted:
        echo(f"  written unencrypted: set {PASSPHRASE_ENV} (or answer the prompt on a terminal) to encrypt a new key")


@keys_app.command("init")
def keys_init(
    identity: Annotated[Identity | None, typer.Option("--as", help="Only this identity's key.")] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="The key was lost or compromised: retire it, make a new one.")
    ] = False,
) -> None:
    """Create this office's key pair (each of its identities without one); existing keys are kept.
    With --replace, a new key with a proof of possession for the other side to file a revocation."""
    if replace:
        if identity is None:
            usage("--replace needs --as: the identity whose key was lost")
        path = public_key_path(own(identity))
        if not path.exists():
            fail(f"no public key of {identity} at {path}: --replace needs the lost key's public half")
        old = fingerprint(read_public_key(path))
        encrypted = passphrase_for_new_keys()
        retire(identity)
        key = Ed25519PrivateKey.generate()
        write_key_pair(identity, key, replaces=old)
        new = fingerprint(public_key_text(key))
        echo(f"{identity:<12} new key {new} replacing {old}; the old files are in {config.keys_dir() / 'retired'}")
        say_if_in_clear(encrypted)
        revokers = "UK and ROK each" if identity is Identity.SECRETARIAT else "ROK" if identity is Identity.UK else "UK"
        echo(f"send {path} to {revokers}, to file `partnership keys revoke {identity} --new-key {path.name}`")
        return
    identities = (own(identity),) if identity else office_identities()
    making = any(not private_key_path(i).exists() for i in identities)
    encrypted = passphrase_for_new_keys() if making else True
    for ident, created in init_keys(identities=identities).items():
        state = "created" if created else "kept"
        fp = fingerprint(read_public_key(public_key_path(ident)))
        echo(f"{ident.value:<12} {state}  {private_key_path(ident)}  fingerprint {fp}")
    if making:
        say_if_in_clear(encrypted)


@keys_app.command("export")
def keys_export(identity: AsOption) -> None:
    """Print this office's public key (with its proof of possession, if it replaces a lost key)
    and its fingerprint: the file to give the other offices."""
    path = public_key_path(own(identity))
    if not path.exists():
        fail(f"no key of {identity} here yet; run `partnership keys init --as {identity}`")
    typer.echo(path.read_text(), nl=False)


@keys_app.command("pin")
def keys_pin(
    identity: Annotated[Identity, typer.Argument(help="Whose key: UK, ROK or SECRETARIAT.", metavar="IDENTITY")],
    file: PubFile,
    again: Annotated[bool, typer.Option("--replace", help="Replace a pin this office already holds.")] = False,
) -> None:
    """Record another office's public key, after checking its fingerprint with them aloud or on paper."""
    if identity not in FILERS:
        usage(f"{identity} holds no key")
    mine = office()
    if mine is not None and identity in mine:
        usage(f"{identity} is this office's own identity; its key is in {public_key_path(identity)}")
    try:
        key = read_public_key(file)
    except KeyProblem as err:
        fail(str(err))
    labelled = key_file_label(file)
    if labelled is not None and labelled is not identity:  # walkthrough 3, F8: ROK's file pinned as UK
        fail(
            f"{file.name} says it holds {labelled}'s key, not {identity}'s; pin it as {labelled}, "
            f"or ask {identity} for its own"
        )
    held = pins().get(identity)
    if held and held["public_key"] != key and not again:
        fail(
            f"{identity} is pinned to {fingerprint(held['public_key'])}, not {fingerprint(key)}; "
            "check with them, then `partnership keys pin --replace`"
        )
    pin(identity, key, f"pinned from {file.name}")
    echo(f"pinned {identity} key {fingerprint(key)}: read it back to {identity} to confirm")
    record_pins_now()


async def record_pins() -> list[str]:
    """File each pin of this office not yet on the Partnership's register (issue 13: every key
    event is a register decision and a mail); the lines to print. An office acting for one
    identity files them; the one-machine data dir, which holds every key, pins nothing."""
    mine = office()
    unrecorded = {i: p for i, p in pins().items() if not p.get("recorded")}
    if mine is None or len(mine) != 1 or not unrecorded:
        return []
    handle = await partnership()  # the registry is checked against these very pins first
    lines = []
    for identity, held in unrecorded.items():
        filing = KeyPin(filed_by=mine[0], identity=identity, fingerprint=fingerprint(held["public_key"]))
        instrument = signed_as(filing, handle.id)
        await send(handle, PartnershipWorkflow.record_pin, instrument)
        mark_recorded(identity, instrument.filing_id)
        lines.append(f"the pin of {identity}'s key is on the Partnership's register")
    return lines


def record_pins_now() -> None:
    """Best effort after a pin: the Partnership may not be started yet (then `sign` or `start`
    records it), or not reachable; the pin is kept either way. A Partnership that answers and holds
    another key than the one pinned is a refusal (exit 1): the office must check with the holder."""
    try:
        for line in asyncio.run(record_pins()):
            echo(line)
    except Exception as err:  # one line whatever it is: the pin itself is kept
        if isinstance(err, RPCError) or no_answer(err):  # not started, or not answering: `sign` or `start` files it
            echo(f"pin kept here, not yet on the Partnership's register: {explain(err)}", err=True)
        else:
            fail(f"pin kept here, not on the Partnership's register: {explain(err)}")
    finally:
        forget_connection()


@keys_app.command("show")
@run
async def keys_show(json_out: JsonFlag = False) -> None:
    """The running Partnership's registry (every key, its validity) and what this office holds and
    pinned; where they disagree, both, and the disagreement (exit 1): it is the command to diagnose it."""
    disagreement = None
    try:
        handle = await partnership(check_keys=False)
        try:
            await check_registry(handle)  # moves a pin along a verified key change
        except Refused as err:  # shown here, both sides of it
            disagreement = str(err).removesuffix("; nothing was sent or shown")
        ring = await handle.query(PartnershipWorkflow.key_ring)
    except (RPCError, Unreachable):  # this office's own side still shows
        ring = None
    local = {i: {"fingerprint": fingerprint(k), "how": how} for i, (k, how) in expected_keys().items()}
    if json_out:
        registry = ring.model_dump(mode="json") if ring else None
        emit({"office": office_name(), "local": local, "registry": registry, "disagreement": disagreement})
    else:
        show_keys(local, ring)
    if disagreement:
        fail(disagreement)


def show_keys(local: dict, ring: KeyRing | None) -> None:
    acting = office_name() if office() else f"{office_name()} (one machine: PARTNERSHIP_OFFICE unset)"
    echo(f"office {acting}, data dir {config.data_dir()}")
    for identity, seen in local.items():
        echo(f"  {identity:<12} {seen['fingerprint']}  ({seen['how']})")
    if not local:
        echo("  this data dir holds no key and no pin (`partnership keys init` makes this office's)")
    if ring is None:
        echo("no Partnership answers yet")
        return
    echo("the Partnership's registry:")
    for entry in ring.entries:
        echo(f"  {entry.identity:<12} {entry.fingerprint}  valid {entry.interval()}")


@keys_app.command("rotate")
@run
async def keys_rotate(identity: AsOption) -> None:
    """Replace this office's key: an instrument signed by old and new key, in use from its receipt."""
    old = load_private_key(own(identity))
    new = Ed25519PrivateKey.generate()
    handle = await partnership()
    rotation = KeyRotation(
        filed_by=identity,
        addressed_to=handle.id,
        old_fingerprint=fingerprint(public_key_text(old)),
        new_key=public_key_text(new),
    )
    rotation = sign(rotation, old)
    proof = base64.b64encode(new.sign(rotation.canonical_bytes())).decode()
    rotation = rotation.model_copy(update={"new_key_signature": proof})
    staged = config.keys_dir() / "rotating"  # the new key survives an answer that never comes
    staged.mkdir(mode=0o700, exist_ok=True)
    write_key_pair(identity, new, staged)
    try:
        entry = await send(handle, PartnershipWorkflow.rotate_key, rotation)
    except WorkflowUpdateFailedError:
        # Refused, unless a sending that got no answer had landed (the Partnership continued as
        # new before the rotation was asked again): then the new key is the registry's, and
        # deleting it would lock this office out.
        ring = await handle.query(PartnershipWorkflow.key_ring)
        entry = ring.current(identity)
        if entry is None or entry.fingerprint != fingerprint(rotation.new_key):
            for path in (private_key_path(identity, staged), public_key_path(identity, staged)):
                path.unlink(missing_ok=True)
            raise
    retire(identity)
    for path in (private_key_path(identity, staged), public_key_path(identity, staged)):
        path.rename(config.keys_dir() / path.name)
    echo(f"{identity} key rotated: {entry.fingerprint} from {entry.valid_from:%Y-%m-%d %H:%MZ}")


@keys_app.command("revoke")
@run
async def keys_revoke(
    revoked: Annotated[Identity, typer.Argument(help="Whose key is lost or compromised.", metavar="IDENTITY")],
    new_key: Annotated[Path, typer.Option("--new-key", help="Its successor, from `keys init --replace`.")],
    filer: ParticipantAs,
) -> None:
    """Revoke another identity's lost or compromised key (the other Participant files; for the
    SECRETARIAT's key, both): from receipt it verifies nothing new."""
    key, possession = read_public_key_file(new_key)
    if possession is None:
        raise Refused(
            f"{new_key} carries no proof of possession; {revoked} makes it with `partnership keys init --as "
            f"{revoked} --replace`"
        )
    replaced, proof = possession
    filing = KeyRevocation(filed_by=filer, revoked=revoked, revoked_fingerprint=replaced, new_key=key, possession=proof)
    handle = await partnership()
    entry = await send(handle, PartnershipWorkflow.revoke_key, signed_as(filing, handle.id))
    if entry is None:
        echo(f"revocation of {revoked}'s key {replaced} filed; it awaits the same filing by the other Participant")
        return
    if revoked not in office_identities():
        pin(revoked, key, f"revocation filed by {filer}")
    echo(f"{revoked}'s key {replaced} revoked; its key is now {entry.fingerprint}")
