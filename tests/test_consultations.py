"""¶29: differences are resolved amicably through consultations; an outcome counts only when both
Participants accept it; nothing forces an outcome, an idle consultation only reminds."""

from __future__ import annotations

from datetime import date, timedelta

from activities.register import decisions, register_engine
from models.consultation import (
    ConsultationRequest,
    ConsultationRound,
    ConsultationState,
    ResolutionAcceptance,
    ResolutionProposal,
)
from models.identities import Identity
from tests.helpers import effects_done, eventually, rejected, signed, sleep_until, subjects
from workflows.consultation import ConsultationWorkflow
from workflows.partnership import PartnershipWorkflow


async def open_one(partnership, client, about="28"):
    receipt = await partnership.execute_update(
        PartnershipWorkflow.open_consultation,
        signed(
            ConsultationRequest(filed_by=Identity.ROK, about=about, summary="Who pays for the testbed?"), to=partnership
        ),
    )
    consultation = client.get_workflow_handle(receipt.consultation_id)
    await consultation.query(ConsultationWorkflow.show)
    return consultation


async def test_an_outcome_counts_only_when_the_other_side_accepts_it(local_env, partnership, data_dir):
    consultation = await open_one(partnership, local_env.client)
    ident = consultation.id
    again = ConsultationRequest(filed_by=Identity.UK, about="¶28", summary=" Who pays for  the testbed?")
    message = await rejected(partnership, PartnershipWorkflow.open_consultation, signed(again))
    assert message == f"{ident} about 28 is open on the same difference; note a round there"
    ahead = date.today() + timedelta(days=30)
    future = ConsultationRound(filed_by=Identity.UK, consultation_id=ident, held_on=ahead, attendees=[], note="Not yet")
    message = await rejected(consultation, ConsultationWorkflow.note, signed(future))
    assert message.startswith(f"a round is noted once it has been held; {ahead} is after UK's today")
    await consultation.execute_update(
        ConsultationWorkflow.note,
        signed(
            ConsultationRound(
                filed_by=Identity.SECRETARIAT,
                consultation_id=ident,
                held_on=date(2026, 11, 1),
                attendees=["A. Smith", "J. Kim"],
                note="Positions exchanged.",
            ),
            to=consultation,
        ),
    )
    await consultation.execute_update(
        ConsultationWorkflow.propose,
        signed(
            ResolutionProposal(filed_by=Identity.ROK, consultation_id=ident, resolution="Split 50/50."), to=consultation
        ),
    )
    own = signed(ResolutionAcceptance(filed_by=Identity.ROK, consultation_id=ident, proposal=1))
    message = await rejected(consultation, ConsultationWorkflow.accept, own)
    assert message == "ROK made proposal 1; it counts only when the other Participant accepts it"
    missing = signed(ResolutionAcceptance(filed_by=Identity.UK, consultation_id=ident, proposal=2))
    message = await rejected(consultation, ConsultationWorkflow.accept, missing)
    assert message == f"there is no proposal 2 in {ident}; proposals: 1"
    by_secretariat = signed(ResolutionProposal(filed_by=Identity.SECRETARIAT, consultation_id=ident, resolution="x"))
    message = await rejected(consultation, ConsultationWorkflow.propose, by_secretariat)
    assert message.startswith("only a Participant (UK or ROK) proposes an outcome")
    assert (await consultation.query(ConsultationWorkflow.show)).summary.state is ConsultationState.OPEN

    view = await consultation.execute_update(
        ConsultationWorkflow.accept,
        signed(ResolutionAcceptance(filed_by=Identity.UK, consultation_id=ident, proposal=1), to=consultation),
    )
    assert view.summary.state is ConsultationState.RESOLVED and view.accepted_by is Identity.UK
    assert (await consultation.result())["state"] == "RESOLVED"
    rows = [r for r in decisions(register_engine()) if r.workflow_id == ident]
    assert [(r.kind, r.paragraph) for r in rows] == [("consultation-resolved", "29")]
    assert f"Consultation {ident} resolved" in subjects(data_dir)

    async def listed_resolved():
        found = await partnership.query(PartnershipWorkflow.consultations)
        return found[0].state is ConsultationState.RESOLVED

    await eventually(listed_resolved)
    assert (await partnership.query(PartnershipWorkflow.status)).open_consultations == []


async def test_a_consultation_is_about_something_the_partnership_knows(partnership):
    vague = signed(ConsultationRequest(filed_by=Identity.UK, about="everything", summary="x"))
    message = await rejected(partnership, PartnershipWorkflow.open_consultation, vague)
    assert message.startswith("'everything' is neither a ¶ (1–33), a commitment ref (e.g. 9b)")
    by_secretariat = signed(ConsultationRequest(filed_by=Identity.SECRETARIAT, about="9b", summary="x"))
    message = await rejected(partnership, PartnershipWorkflow.open_consultation, by_secretariat)
    assert message.startswith("only a Participant (UK or ROK) opens a consultation")


async def test_an_idle_consultation_reminds_both_sides_and_forces_nothing(time_env, skipping_partnership, data_dir):
    consultation = await open_one(skipping_partnership, time_env.client, about="9b")
    opened = (await consultation.query(ConsultationWorkflow.show)).summary.opened_at
    await sleep_until(time_env, opened + timedelta(days=29))
    idle = [s for s in subjects(data_dir) if "has been idle" in s]
    assert idle == []
    await sleep_until(time_env, opened + timedelta(days=61))

    async def two_reminders():
        return len([s for s in subjects(data_dir) if "has been idle" in s]) == 2

    await eventually(two_reminders)
    assert (await consultation.query(ConsultationWorkflow.show)).summary.state is ConsultationState.OPEN
    await effects_done(consultation, ConsultationWorkflow.pending_effects)
