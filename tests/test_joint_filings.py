"""Issue 15, joint filings that never meet: when the two sides file different terms, the receipt
and `show` name the difference and both values; a filing that waits tells the other side, once;
the filer (and only the filer) withdraws its own waiting filing, an agenda item or a consultation."""

from __future__ import annotations

from datetime import date

from engine import config
from models.consultation import ConsultationRequest, ConsultationState, ConsultationWithdrawal
from models.forum import AgendaItemFiling, AgendaItemWithdrawal, Postponement
from models.identities import Identity
from models.joint import JointFilings, JointWithdrawal, PendingFiling
from models.joint_action import CostArrangement
from models.working_group import GroupLeads
from tests.helpers import agenda_agreement, effects_done, mails, rejected, signed
from tests.test_forum import start
from tests.test_joint_actions import agreed
from workflows.consultation import ConsultationWorkflow
from workflows.forum import ForumCycleWorkflow
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow

UK, ROK = Identity.UK, Identity.ROK


async def mail_to(handle, data_dir, side: Identity, subject_part: str) -> list:
    """The mails to `side` whose subject contains `subject_part`, once the workflow sent its effects."""
    await effects_done(handle, "pending_effects")
    return [m for m in mails(data_dir) if m["To"] == config.mail_address(side) and subject_part in m["Subject"]]


def withdrawal(by: Identity, filed: JointFilings, side: Identity, decision: str, **kw) -> JointWithdrawal:
    """`by`'s withdrawal naming `side`'s pending filing."""
    return JointWithdrawal(filed_by=by, decision=decision, withdraws=filed.filed[side].filing_id, **kw)


def test_differs_names_the_fields_that_differ_and_both_values():
    filed = JointFilings(
        filed={
            UK: PendingFiling(filing_id="a", terms={"lead_uk": "A", "lead_rok": "B", "cadence_months": "3"}),
            ROK: PendingFiling(filing_id="b", terms={"lead_uk": "A", "lead_rok": "B", "cadence_months": "6"}),
        }
    )
    assert filed.differs == "cadence_months: UK '3', ROK '6'"
    assert JointFilings(filed={UK: filed.filed[UK]}).differs is None
    # State carried from before kept each side's terms as one string; it still reads.
    assert JointFilings.model_validate({"UK": "x"}).filed[UK].terms == {"terms": "x"}


async def test_group_leads_that_differ_are_named_mailed_and_withdrawn_only_by_the_filer(
    local_env, partnership, data_dir
):
    def leads(by, cadence):
        return signed(GroupLeads(filed_by=by, area="ai", lead_uk="A. Smith", lead_rok="J. Kim", cadence_months=cadence))

    group = await partnership.execute_update(PartnershipWorkflow.set_group_leads, leads(UK, 3))
    assert group.pending.differs is None
    group = await partnership.execute_update(PartnershipWorkflow.set_group_leads, leads(ROK, 6))
    assert group.lead_uk is None
    assert group.pending.differs == "cadence_months: UK '3', ROK '6'"  # the receipt says how they differ
    shown = next(r.group for r in await partnership.query(PartnershipWorkflow.groups) if r.group.area == "ai")
    assert {side: f.terms["cadence_months"] for side, f in shown.pending.filed.items()} == {UK: "3", ROK: "6"}
    assert await mail_to(partnership, data_dir, UK, "ROK awaits your filing")
    assert await mail_to(partnership, data_dir, ROK, "UK awaits your filing")

    by_other = signed(withdrawal(UK, shown.pending, ROK, "group-leads", area="ai"))
    message = await rejected(partnership, PartnershipWorkflow.withdraw_joint_filing, by_other)
    assert message == f"filing {shown.pending.filed[ROK].filing_id} is ROK's; only ROK, which filed it, may withdraw it"
    left = await partnership.execute_update(
        PartnershipWorkflow.withdraw_joint_filing, signed(withdrawal(UK, shown.pending, UK, "group-leads", area="ai"))
    )
    assert set(left.filed) == {ROK}
    assert await mail_to(partnership, data_dir, ROK, "UK has withdrawn its filing")
    # UK's inbox answers ROK's filing with a command that files the same terms, cadence and all.
    from datetime import UTC, datetime

    from cli.inbox import Snapshot, inbox

    groups = [r.group for r in await partnership.query(PartnershipWorkflow.groups)]
    status = await partnership.query(PartnershipWorkflow.status)
    snap = Snapshot(status=status, amendments=[], actions=[], groups=groups, consultations=[], forums=[])
    assert [i.command for i in inbox(UK, snap, datetime.now(UTC)) if i.about == "ai"] == [
        "partnership group set-leads ai --as UK --lead-uk 'A. Smith' --lead-rok 'J. Kim' --cadence-months 6"
    ]
    again = signed(withdrawal(UK, shown.pending, UK, "group-leads", area="ai"))
    message = await rejected(partnership, PartnershipWorkflow.withdraw_joint_filing, again)
    assert (
        message
        == "UK has no filing of the leads of the working group ai pending; only ROK, which filed one, may withdraw it"
    )


async def test_a_cost_arrangement_that_differs_is_named_mailed_and_withdrawn_only_by_the_filer(
    local_env, partnership, data_dir
):
    action = await agreed(partnership, local_env.client)

    def cost(by, text):
        return signed(CostArrangement(filed_by=by, action_id=action.id, arrangement=text), to=action)

    await action.execute_update(JointActionWorkflow.cost_share, cost(UK, "UK pays travel."))
    view = await action.execute_update(JointActionWorkflow.cost_share, cost(ROK, "Shared equally."))
    assert view.cost_filings.differs == "arrangement: UK 'UK pays travel.', ROK 'Shared equally.'"
    shown = await action.query(JointActionWorkflow.show)
    assert {s: f.terms for s, f in shown.cost_filings.filed.items()} == {
        UK: {"arrangement": "UK pays travel."},
        ROK: {"arrangement": "Shared equally."},
    }
    assert await mail_to(action, data_dir, ROK, "UK awaits your filing: a cost arrangement")

    by_other = signed(withdrawal(ROK, shown.cost_filings, UK, "cost-arrangement"), to=action)
    message = await rejected(action, JointActionWorkflow.withdraw_joint_filing, by_other)
    assert message.endswith("only UK, which filed it, may withdraw it")
    wrong_kind = signed(withdrawal(UK, shown.cost_filings, UK, "postponement"), to=action)
    assert (await rejected(action, JointActionWorkflow.withdraw_joint_filing, wrong_kind)).startswith("there is no")
    view = await action.execute_update(
        JointActionWorkflow.withdraw_joint_filing,
        signed(withdrawal(UK, shown.cost_filings, UK, "cost-arrangement"), to=action),
    )
    assert set(view.cost_filings.filed) == {ROK} and view.cost_filings.differs is None


async def test_a_postponement_waits_with_a_mail_and_the_filer_withdraws_it(local_env, partnership, data_dir):
    year = date.today().year + 1
    forum = await start(partnership, local_env.client, year)
    # Walkthrough 3, F6: not out of its year (it would meet after the next year's Forum).
    next_year = signed(Postponement(filed_by=ROK, forum_id=forum.id, to=date(year + 1, 3, 1)), to=forum)
    assert await rejected(forum, ForumCycleWorkflow.postpone, next_year) == (
        f"the Forum {year} is held in {year} (¶7: annually); it can be moved within that year, not to {year + 1}-03-01"
    )
    filing = signed(Postponement(filed_by=ROK, forum_id=forum.id, to=date(year, 12, 2)), to=forum)
    view = await forum.execute_update(ForumCycleWorkflow.postpone, filing)
    assert view.postponements.filed[ROK].terms == {"to": f"{year}-12-02"}
    assert await mail_to(forum, data_dir, UK, f"ROK awaits your filing: to move the Forum {year}")
    view = await forum.execute_update(
        ForumCycleWorkflow.withdraw_joint_filing,
        signed(withdrawal(ROK, view.postponements, ROK, "postponement"), to=forum),
    )
    assert not view.postponements and view.summary.on == date(year, 11, 22)


async def test_an_agreement_that_waits_mails_the_other_side_and_only_its_filer_withdraws_it(
    local_env, partnership, data_dir
):
    forum = await start(partnership, local_env.client, 2027)
    await forum.execute_update(ForumCycleWorkflow.agree_agenda, signed(await agenda_agreement(forum, UK), to=forum))
    assert await mail_to(forum, data_dir, ROK, "UK awaits your filing: its agreement to the agenda")
    view = await forum.query(ForumCycleWorkflow.show)
    mine = view.agenda_agreements.filed[UK].filing_id
    by_other = signed(JointWithdrawal(filed_by=ROK, decision="agenda-agreement", withdraws=mine), to=forum)
    message = await rejected(forum, ForumCycleWorkflow.withdraw_joint_filing, by_other)
    assert message == f"filing {mine} is UK's; only UK, which filed it, may withdraw it"
    no_decision = signed(
        JointWithdrawal(filed_by=UK, decision="decision-agreement", withdraws=mine, number=1), to=forum
    )
    message = await rejected(forum, ForumCycleWorkflow.withdraw_joint_filing, no_decision)
    assert message == f"{forum.id} has no decision 1; decisions: none yet"
    view = await forum.execute_update(
        ForumCycleWorkflow.withdraw_joint_filing,
        signed(JointWithdrawal(filed_by=UK, decision="agenda-agreement", withdraws=mine), to=forum),
    )
    assert view.agenda_agreed_by == [] and not view.agenda_agreements


async def test_an_agenda_item_is_withdrawn_only_by_whoever_added_it(local_env, partnership, data_dir):
    forum = await start(partnership, local_env.client, 2027)
    added = signed(AgendaItemFiling(filed_by=UK, forum_id=forum.id, title="AI safety institutes", ref="9b"))
    view = await forum.execute_update(ForumCycleWorkflow.add_item, added)
    await forum.execute_update(ForumCycleWorkflow.agree_agenda, signed(await agenda_agreement(forum, ROK), to=forum))
    item = next(i for i in view.agenda if i.title == "AI safety institutes")
    assert item.filing_id == added.filing_id
    by_other = signed(AgendaItemWithdrawal(filed_by=ROK, forum_id=forum.id, withdraws=added.filing_id))
    message = await rejected(forum, ForumCycleWorkflow.withdraw_item, by_other)
    assert message == "only UK, which added “AI safety institutes”, may withdraw it"
    view = await forum.execute_update(
        ForumCycleWorkflow.withdraw_item,
        signed(AgendaItemWithdrawal(filed_by=UK, forum_id=forum.id, withdraws=added.filing_id)),
    )
    assert "AI safety institutes" not in [i.title for i in view.agenda]
    assert view.agenda_agreed_by == []  # ROK agreed to the agenda with the item


async def test_a_consultation_is_withdrawn_only_by_the_side_that_opened_it(local_env, partnership):
    receipt = await partnership.execute_update(
        PartnershipWorkflow.open_consultation,
        signed(ConsultationRequest(filed_by=ROK, about="28", summary="Who pays?"), to=partnership),
    )
    consultation = local_env.client.get_workflow_handle(receipt.consultation_id)
    await consultation.query(ConsultationWorkflow.show)
    ident = consultation.id
    message = await rejected(
        consultation,
        ConsultationWorkflow.withdraw,
        signed(ConsultationWithdrawal(filed_by=UK, consultation_id=ident)),
    )
    assert message == f"only ROK, which opened {ident}, may withdraw it"
    view = await consultation.execute_update(
        ConsultationWorkflow.withdraw, signed(ConsultationWithdrawal(filed_by=ROK, consultation_id=ident))
    )
    assert view.summary.state is ConsultationState.WITHDRAWN


async def test_the_other_sides_discontinuation_of_a_proposed_action_reaches_the_inbox(local_env, partnership):
    """Walkthrough 2, S5: the inbox looked at active actions only, so a discontinuation filed on a
    proposed one never reached the other side (a report is still asked of active ones only)."""
    from datetime import UTC, datetime

    from cli.inbox import Snapshot, inbox
    from tests.test_joint_actions import closure, propose

    action = await propose(partnership, local_env.client)  # by UK
    await action.execute_update(JointActionWorkflow.close, closure(action, ROK, "discontinue"))
    view = await action.query(JointActionWorkflow.show)
    status = await partnership.query(PartnershipWorkflow.status)
    snap = Snapshot(status=status, amendments=[], actions=[view], groups=[], consultations=[], forums=[])
    assert [i.command for i in inbox(UK, snap, datetime.now(UTC))] == [
        f"partnership action discontinue {action.id} --as UK"
    ]


async def test_a_waiting_wind_down_and_a_waiting_revocation_reach_the_other_sides_inbox(
    local_env, partnership, data_dir
):
    """Walkthrough 3, F1 and F1b: the inbox named every joint filing but a ¶32 wind-down, and the
    first half of a revocation of the SECRETARIAT's key reached the other Participant nowhere (no
    inbox item, no mail) while the secretariat could file nothing."""
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cli.inbox import Snapshot, inbox
    from engine.keys import load_private_key, public_key_text
    from models.joint_action import WindDown
    from models.signing import fingerprint
    from tests.test_joint_actions import propose
    from tests.test_keyring import revocation

    action = await propose(partnership, local_env.client)
    await partnership.execute_update(PartnershipWorkflow.wind_down, signed(WindDown(filed_by=UK, actions=[action.id])))
    sec, new = load_private_key(Identity.SECRETARIAT), Ed25519PrivateKey.generate()
    half = revocation(UK, load_private_key(UK), Identity.SECRETARIAT, public_key_text(sec), new, to=partnership.id)
    assert await partnership.execute_update(PartnershipWorkflow.revoke_key, half) is None

    snap = Snapshot(
        status=await partnership.query(PartnershipWorkflow.status),
        amendments=[],
        actions=[],
        groups=[],
        consultations=[],
        forums=[],
        wind_down=await partnership.query(PartnershipWorkflow.wind_down_filings),
        revocations=await partnership.query(PartnershipWorkflow.pending_revocations),
    )
    now = datetime.now(UTC)
    assert [i.command for i in inbox(UK, snap, now)] == []  # its own filings await nobody on its side
    wind_down, revoke = inbox(ROK, snap, now)
    assert wind_down.command == f"partnership action wind-down --action {action.id} --as ROK"
    assert wind_down.instrument == "WindDown" and wind_down.terms == {"actions": action.id}
    new_fingerprint = fingerprint(public_key_text(new))
    assert revoke.command == (
        f"partnership keys revoke SECRETARIAT --new-key <its new key file, fingerprint {new_fingerprint}> --as ROK"
    )
    (mailed,) = await mail_to(partnership, data_dir, ROK, "awaits your filing: a revocation of the SECRETARIAT's key")
    assert new_fingerprint in mailed["Subject"]
    (waiting,) = await mail_to(partnership, data_dir, ROK, "UK awaits your filing: a wind-down")
    assert waiting["X-Partnership-Paragraph"] == "32"  # not the Partnership's own ¶31 (walkthrough 3, F12)
