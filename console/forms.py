"""A console form becomes the instrument its CLI command would sign: what the console reads for
the filer (the workflow addressed, the agenda, decision or minutes agreed to, the filing withdrawn),
the typed fields parsed, and the instrument shown exactly as it is signed."""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime
from typing import Any

from cli.common import Refused, ask, client, partnership, query_or_explain
from cli.withdrawals import item_withdrawal_of, own_filing, shown_for, waiting_in
from console.instruments import Instrument
from models.calendar import filers_date
from models.catalogue import find_area
from models.checkpoint import RegisterCheckpoint
from models.consultation import ConsultationRound, ResolutionAcceptance
from models.forum import (
    AgendaAgreement,
    AgendaItemWithdrawal,
    CoChairNomination,
    DecisionAgreement,
    MinutesApproval,
    agenda_digest,
    minutes_digest,
)
from models.identities import Identity
from models.joint import JointDecision, JointWithdrawal
from models.joint_action import NOTHING_TO_WIND_DOWN, WindDown
from models.partnership import TerminationWithdrawal
from models.signing import Filing
from rules.p07_co_chairs import default_rank
from workflows.consultation import ConsultationWorkflow
from workflows.forum import ForumCycleWorkflow
from workflows.partnership import PartnershipWorkflow


async def read_fields(instrument: Instrument, form: dict[str, str], filer: Identity) -> dict[str, Any]:
    """What the instrument signs that the user does not type: the workflow it is addressed to, the
    agenda, decision or minutes agreed to as the cycle shows them now, the notice withdrawn, the
    filer's own waiting filing or agenda item withdrawn (cli/withdrawals.py, as the CLI); and, for a
    wind-down naming no action, every ongoing one."""
    from cli.checkpoint import checkpoint_to_sign
    from cli.forum import tabling_of

    model = instrument.model
    target = form.get(instrument.on, "").strip() if instrument.on else ""
    read: dict[str, Any] = {"addressed_to": target if instrument.on else (await partnership()).id}
    if model in (AgendaAgreement, DecisionAgreement, MinutesApproval, AgendaItemWithdrawal) and target:
        handle = (await client()).get_workflow_handle(target)
        view = await query_or_explain(handle, ForumCycleWorkflow.show, f"no Forum cycle {target}")
        if model is AgendaAgreement:
            read["agenda_sha256"] = agenda_digest(view.agenda)
        elif model is MinutesApproval:
            read["minutes_sha256"] = minutes_digest(view.minutes or "")
        elif model is AgendaItemWithdrawal:
            named = item_withdrawal_of(filer, view, form.get("ref", "").strip(), form.get("title", "").strip())
            read["withdraws"] = named.withdraws
        else:
            number = form.get("decision", "").strip()
            read["tabled"] = tabling_of(view, int(number)) if number.isdecimal() else "none"
    decision = dict(instrument.preset).get("decision") or form.get("decision", "")
    if model is JointWithdrawal and decision in typing.get_args(JointDecision):
        if found := find_area(form.get("area", "").strip()):  # named as `group withdraw` takes it
            form["area"] = found.slug
        number = form.get("number", "").strip()
        shown = await shown_for(decision, target)
        waiting = waiting_in(decision, shown, form.get("area", "").strip(), int(number) if number.isdecimal() else None)
        read["withdraws"] = own_filing(waiting, filer)
    if model is TerminationWithdrawal:
        status = await ask(PartnershipWorkflow.status)
        read["notice"] = next((n.filing_id for n in status.termination_notices if n.given_by is filer), "none")
    if model is CoChairNomination and not form.get("rank", "").strip():
        read["rank"] = default_rank(filer, form.get("title", "")).value
    if model is RegisterCheckpoint:  # the register as this office reads it, as `checkpoint sign` signs it
        found = await checkpoint_to_sign(filer)
        read |= {"rows": found.rows, "head_hash": found.head_hash}
    if model is ConsultationRound and not form.get("held_on", "").strip():  # as `consult note`: the filer's today
        form["held_on"] = filers_date(datetime.now(UTC), filer).isoformat()
    if model is ResolutionAcceptance and not form.get("proposal", "").strip() and target:  # the latest, as the CLI
        view = await query_or_explain(
            (await client()).get_workflow_handle(target), ConsultationWorkflow.show, f"no consultation {target}"
        )
        if not view.proposals:
            raise Refused(f"{target} has no proposed outcome to accept yet")
        form["proposal"] = str(view.proposals[-1].number)
    if model is WindDown and not form.get("actions", "").strip():
        ongoing = [a.action_id for a in await ask(PartnershipWorkflow.actions) if a.state.is_open]
        if not ongoing:  # as `action wind-down` says it
            raise Refused(NOTHING_TO_WIND_DOWN)
        form["actions"] = "\n".join(sorted(ongoing))
    return read


def parse(
    instrument: Instrument, form: dict[str, str], filer: Identity, read: dict[str, Any] | None = None
) -> tuple[Filing, str | None]:
    """The instrument (unsigned, with its filing id) from a form's fields and what `read_fields`
    read, and the thing it is filed on; a bad field raises ValidationError or Refused, with the
    field named."""
    values: dict[str, Any] = {"filed_by": filer, **dict(instrument.preset), **(read or {})}
    for field in instrument.fields():
        raw = form.get(field.name, "").replace("\r\n", "\n")
        if field.widget == "numbers":
            parts = [p for p in raw.replace(",", " ").split() if p]
            if not all(p.isdecimal() for p in parts):
                raise Refused(f"{field.name}: numbers separated by commas, e.g. 7, 33")
            values[field.name] = [int(p) for p in parts]
        elif field.widget == "lines":
            values[field.name] = [line.strip() for line in raw.splitlines() if line.strip()]
        elif field.widget == "json":
            try:
                values[field.name] = json.loads(raw) if raw.strip() else []
            except json.JSONDecodeError as err:
                raise Refused(f"{field.name}: not JSON ({err.msg} at character {err.pos})") from None
        elif field.widget in ("textarea", "text") and field.required and not raw.strip():
            # Said at review in the form's own words, not at signing in the CLI's (an amendment's
            # empty text was refused by the Partnership naming --text-file).
            raise Refused(f"{field.caption} is empty; fill it in")
        elif raw.strip():
            values[field.name] = raw if field.widget == "textarea" else raw.strip()
    target = values.get(instrument.on) if instrument.on else None
    # What the form asked that the instrument does not carry (the Forum cycle a nomination is filed
    # on, the ref and title naming an agenda item) was for finding; it is not signed.
    signed = {k: v for k, v in values.items() if k in instrument.model.model_fields}
    return instrument.model.model_validate(signed), target


def instrument_fields(filing: Filing) -> dict[str, Any]:
    """The instrument exactly as it is signed: its fields and its kind (models/signing.py)."""
    return json.loads(filing.canonical_bytes())
