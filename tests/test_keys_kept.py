"""An instrument received long ago stays good evidence however often its signer's key changed since
(adversarial review 5, F1). A workflow carries only the latest KEYS_KEPT keys of each identity, and
some messages carry an instrument again long after it was filed: an amendment's consent when the
amendment takes effect, a notice of termination when it does. Once the key behind one had left
the receiver's registry, the genuine message was refused: a consented amendment never came into
force (and its consenter could bring that about alone, by rotating daily), and a termination never
reached the open amendments, which then took consents after it."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.keys import load_private_key, write_key_pair
from models.amendment import AmendmentStatus
from models.calendar import local_midnight
from models.identities import Identity
from models.keyring import KEYS_KEPT, KeyRevocation, KeyRotation, possession_bytes
from models.messages import TerminationTaken
from models.partnership import Termination, TerminationNotice
from models.signing import fingerprint, public_key_text, sign
from tests.helpers import answer, effects_done, eventually, signed, sleep_until
from tests.test_amendments import consent, ended, propose
from workflows.amendment import AmendmentWorkflow
from workflows.handlers import ASKS_MAX, UNCHECKED_ASKS_MAX
from workflows.partnership import PartnershipWorkflow

UK, ROK = Identity.UK, Identity.ROK


async def revoke(partnership, revoked: Identity, by: Identity) -> None:
    """`by` revokes `revoked`'s key (a lost key: no pause); the new key goes into the data dir."""
    new = Ed25519PrivateKey.generate()
    old = fingerprint(public_key_text(load_private_key(revoked)))
    new_key = public_key_text(new)
    proof = base64.b64encode(new.sign(possession_bytes(revoked, new_key, old))).decode()
    filing = KeyRevocation(filed_by=by, revoked=revoked, revoked_fingerprint=old, new_key=new_key, possession=proof)
    await partnership.execute_update(PartnershipWorkflow.revoke_key, signed(filing, to=partnership))
    write_key_pair(revoked, new)


async def rotate(partnership, who: Identity) -> None:
    old, new = load_private_key(who), Ed25519PrivateKey.generate()
    rotation = KeyRotation(
        filed_by=who, addressed_to=partnership.id, old_fingerprint=fingerprint(public_key_text(old)),
        new_key=public_key_text(new),
    )  # fmt: skip
    rotation = sign(rotation, old)
    proof = base64.b64encode(new.sign(rotation.canonical_bytes())).decode()
    await partnership.execute_update(
        PartnershipWorkflow.rotate_key, rotation.model_copy(update={"new_key_signature": proof})
    )
    write_key_pair(who, new)


async def in_effect_after(time_env, partnership, change_rok_key) -> None:
    now = await time_env.get_current_time()
    effective_on = (now + timedelta(days=60)).date()
    receipt, amendment = await propose(partnership, time_env.client, effective_on=effective_on)
    consented = consent(receipt.amendment_id)
    view = await amendment.execute_update(AmendmentWorkflow.consent, consented)
    assert view.status is AmendmentStatus.CONSENTED
    for _ in range(KEYS_KEPT):
        await change_rok_key()
    ring = await answer(partnership, PartnershipWorkflow.key_ring)
    assert ring.forgot(ROK, now) and ring.signer(consented) is None  # the consent's key has left the registry
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    await sleep_until(time_env, local_midnight(effective_on, UK) + timedelta(minutes=1))
    assert (await eventually(lambda: ended(amendment))).status is AmendmentStatus.IN_EFFECT

    async def in_force():
        return (await answer(partnership, PartnershipWorkflow.status)).version == 2

    assert await eventually(in_force), await answer(partnership, PartnershipWorkflow.refused_messages)
    shown = {a.amendment_id: a.status for a in await answer(partnership, PartnershipWorkflow.amendments)}
    assert shown.get(receipt.amendment_id, AmendmentStatus.IN_EFFECT) is AmendmentStatus.IN_EFFECT


async def test_a_consented_amendment_comes_into_force_after_its_consenters_key_was_lost_often(
    time_env, skipping_partnership
):
    await in_effect_after(time_env, skipping_partnership, lambda: revoke(skipping_partnership, ROK, UK))


async def test_the_consenter_cannot_undo_its_consent_by_rotating_its_key_daily(time_env, skipping_partnership):
    async def a_day_later_rotated():
        await rotate(skipping_partnership, ROK)
        await sleep_until(time_env, await time_env.get_current_time() + timedelta(days=1, minutes=1))

    await in_effect_after(time_env, skipping_partnership, a_day_later_rotated)


async def test_a_termination_reaches_an_open_amendment_after_the_notice_givers_key_was_lost_often(
    time_env, skipping_partnership
):
    partnership = skipping_partnership
    now = await time_env.get_current_time()
    receipt, amendment = await propose(partnership, time_env.client, respond_by=(now + timedelta(days=400)).date())
    notice = signed(TerminationNotice(filed_by=UK), to=partnership)
    given = await partnership.execute_update(PartnershipWorkflow.give_termination_notice, notice)
    for _ in range(KEYS_KEPT):
        await revoke(partnership, UK, ROK)
    await effects_done(partnership, PartnershipWorkflow.pending_effects)

    # Where the registry can no longer check the notice, only the Partnership's word on exactly
    # that notice counts: one altered to take effect today is refused once the Partnership says no.
    today = now.date()
    altered = notice.model_copy(update={"effective_on": today})
    termination = Termination(
        given_by=UK, recipient=ROK, filing_id=notice.filing_id, received_at=now, effective_on=today,
        effective_at=local_midnight(today, ROK),
    )  # fmt: skip
    await amendment.signal(
        AmendmentWorkflow.partnership_terminated, TerminationTaken(notice=altered, termination=termination)
    )

    async def refused():
        return (await amendment.query(AmendmentWorkflow.refused_messages)).count == 1

    await eventually(refused)
    assert (await amendment.query(AmendmentWorkflow.show)).status is AmendmentStatus.PROPOSED

    await sleep_until(time_env, given.effective_at + timedelta(minutes=5))
    view = await eventually(lambda: ended(amendment))
    assert view.status is AmendmentStatus.LAPSED, await amendment.query(AmendmentWorkflow.refused_messages)


async def test_messages_no_held_key_verifies_never_crowd_out_a_genuine_one(time_env, skipping_partnership):
    """Review 9, finding 2: once a key had left a registry, anyone's unsigned instruments passed the
    rule as ones only the sender could vouch for, each an ask of the sender; a flood of them kept
    every place of ASKS_MAX taken, and the genuine wind-down was refused and never sent again. Now
    only a thing older than a dropped key takes such messages, and they have places of their own."""
    from models.joint_action import ActionState, WindDown
    from models.messages import JointWindDown
    from tests.test_hostile_messages import asks
    from tests.test_joint_actions import agreed
    from workflows.joint_action import JointActionWorkflow

    partnership = skipping_partnership
    action = await agreed(partnership, time_env.client)
    for _ in range(KEYS_KEPT):
        await revoke(partnership, UK, ROK)
        await revoke(partnership, ROK, UK)
    await effects_done(partnership, PartnershipWorkflow.pending_effects)

    def junk(n: int) -> JointWindDown:
        filings = [
            WindDown(filed_by=side, filing_id=f"junk-{side}-{n}", addressed_to=partnership.id, actions=[action.id])
            for side in (UK, ROK)
        ]
        return JointWindDown(filings=[f.model_copy(update={"signature": "x" * 88}) for f in filings])

    for n in range(ASKS_MAX + 3):
        await action.signal(JointActionWorkflow.wound_down, junk(n))
    for side in (UK, ROK):
        wind_down = signed(WindDown(filed_by=side, actions=[action.id]), to=partnership)
        await partnership.execute_update(PartnershipWorkflow.wind_down, wind_down)

    async def ended():
        return (await action.query(JointActionWorkflow.show)).summary.state is ActionState.DISCONTINUED

    assert await eventually(ended, timeout=60), await action.query(JointActionWorkflow.refused_messages)

    # A thing begun after the keys changed holds every key its instruments can carry: the same junk
    # is refused by its rule, and its sender is never asked.
    later = await agreed(partnership, time_env.client, title="AI safety institutes")
    await later.signal(JointActionWorkflow.wound_down, junk(99).model_copy(update={"filings": [
        f.model_copy(update={"actions": [later.id]}) for f in junk(99).filings
    ]}))  # fmt: skip

    async def refused():
        return (await later.query(JointActionWorkflow.refused_messages)).latest

    [reason] = [r.reason for r in await eventually(refused)]
    assert "the signature does not verify with any key registered for" in reason and await asks(later) == []


def test_asks_that_no_held_key_backs_have_places_of_their_own():
    """Review 9, finding 2: whoever floods messages only the sender could vouch for fills at most
    UNCHECKED_ASKS_MAX places; a message whose instruments verify here still gets one."""
    from types import SimpleNamespace

    from models.records import SenderCheck
    from workflows.handlers import ask_sender

    refused: list[str] = []
    receiver = SimpleNamespace(_outbox=[], _refuse_message=lambda name, why: refused.append(why))

    def ask(n: int, unchecked: bool) -> SenderCheck:
        return SenderCheck(signal="wound_down", sender="p", instruments=[f"i{n}"], message={}, unchecked=unchecked)

    for n in range(ASKS_MAX + 3):
        ask_sender(receiver, "wound_down", ask(n, unchecked=True))
    ask_sender(receiver, "wound_down", ask(1000, unchecked=False))
    assert [a.unchecked for a in receiver._outbox] == [True] * UNCHECKED_ASKS_MAX + [False]
    assert refused == [
        f"{UNCHECKED_ASKS_MAX} messages on instruments no key held here verifies already await their senders' word; "
        "send it later"
    ] * (ASKS_MAX + 3 - UNCHECKED_ASKS_MAX)


@pytest.mark.parametrize("changes", ["rotated-then-lost-often", "revoked-once"])
async def test_a_notice_older_than_an_amendment_or_action_reaches_it_whatever_became_of_its_key(
    time_env, skipping_partnership, changes
):
    """Review 10: a notice is about the Partnership and may be older than the amendment or action
    it reaches. Its key was judged as of the receiver's start: one rotated away before that start
    and then dropped, or revoked after the notice but before that start, made every amendment and
    action begun since refuse the genuine termination (and take consents after it)."""
    from tests.test_joint_actions import agreed
    from workflows.joint_action import JointActionWorkflow

    partnership = skipping_partnership
    now = await time_env.get_current_time()
    given = await partnership.execute_update(
        PartnershipWorkflow.give_termination_notice, signed(TerminationNotice(filed_by=UK), to=partnership)
    )
    await sleep_until(time_env, now + timedelta(days=1))
    if changes == "revoked-once":
        await revoke(partnership, UK, ROK)  # a lost laptop, after the notice was given
    else:
        await rotate(partnership, UK)  # the routine rotation
    await sleep_until(time_env, now + timedelta(days=2))
    receipt, amendment = await propose(partnership, time_env.client, respond_by=(now + timedelta(days=400)).date())
    action = await agreed(partnership, time_env.client)
    if changes != "revoked-once":
        for _ in range(KEYS_KEPT - 1):  # the notice's key leaves every registry
            await revoke(partnership, UK, ROK)
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    await sleep_until(time_env, given.effective_at + timedelta(minutes=5))

    async def told():
        shown = await action.query(JointActionWorkflow.show)
        return shown if shown.partnership_terminated_on else None

    assert (await eventually(lambda: ended(amendment))).status is AmendmentStatus.LAPSED
    assert await eventually(told), await action.query(JointActionWorkflow.refused_messages)
