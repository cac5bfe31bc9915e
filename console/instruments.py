"""Every filing the CLI offers, as a form: which instrument, who files it, which Update takes it.

The form's fields are the instrument's own (its pydantic model), so a limit or a new field is
written once, in models/. Signing and filing go through cli/common.py, as the CLI's do.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, replace
from datetime import date
from enum import Enum
from typing import Any, Literal

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from cli.common import Refused, file_on, partnership, send, signed_by_filer
from cli.withdrawals import (
    ON_ACTION,
    ON_FORUM_AGREEMENTS,
)
from models.amendment import (
    AmendmentConsent,
    AmendmentDecline,
    AmendmentProposal,
    AmendmentWithdrawal,
)
from models.checkpoint import RegisterCheckpoint
from models.consultation import (
    ConsultationRequest,
    ConsultationRound,
    ConsultationWithdrawal,
    ResolutionAcceptance,
    ResolutionProposal,
)
from models.forum import (
    AgendaAgreement,
    AgendaItemFiling,
    AgendaItemWithdrawal,
    CoChairNomination,
    Convening,
    DecisionAgreement,
    DecisionTabled,
    ForumCalendar,
    ForumConvocation,
    MinutesApproval,
    MinutesFiling,
    Postponement,
)
from models.identities import FILERS, PARTICIPANTS, Identity
from models.joint import JointWithdrawal
from models.joint_action import (
    ActionAgreement,
    ActionClosure,
    CostArrangement,
    JointActionProposal,
    ProgressReport,
    WindDown,
    wound_down_line,
)
from models.limits import LINE_MAX, max_characters
from models.partnership import TerminationNotice, TerminationWithdrawal
from models.signing import Filing
from models.working_group import GroupLeads
from rules.p07_co_chairs import co_chair_ministry
from workflows.amendment import AmendmentWorkflow
from workflows.consultation import ConsultationWorkflow
from workflows.forum import ForumCycleWorkflow
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow

#: Fields the console reads from the thing filed on (issue 11: a filing names the workflow it acts
#: on and, where it agrees to something, exactly what it agrees to), as the CLI does.
#: A withdrawal's `withdraws` is the filer's own pending filing (issue 15; cli/withdrawals.py).
#: A checkpoint's rows and head hash are the register's as this office reads it (cli/checkpoint.py).
READ_BY_CONSOLE = (
    "addressed_to",
    "agenda_sha256",
    "tabled",
    "minutes_sha256",
    "notice",
    "withdraws",
    "rows",
    "head_hash",
)
#: Fields every instrument has that the console sets, never the user.
SET_BY_CONSOLE = ("filed_by", "filing_id", "signature", *READ_BY_CONSOLE)
FORUM = "forum_id"  # the field (or, for a nomination, the extra form field) naming the Forum cycle
#: The form's caption of the thing filed on, where the instrument does not name it itself.
ON_CAPTION = {FORUM: "Forum cycle", "action_id": "Joint action"}
SECRETARIAT_ONLY = (Identity.SECRETARIAT,)
ANY_FILER = (*PARTICIPANTS, Identity.SECRETARIAT)


@dataclass(frozen=True)
class Field:
    name: str
    widget: Literal["text", "textarea", "number", "date", "select", "lines", "numbers", "json"]
    required: bool = False
    choices: tuple[str, ...] = ()
    label: str = ""
    hint: str = ""
    max_length: int | None = None

    @property
    def caption(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Instrument:
    slug: str
    title: str
    model: type[Filing]
    update: Any
    filers: tuple[Identity, ...] = PARTICIPANTS
    on: str | None = None  # the field naming the governed thing it is filed on; None: the Partnership
    show: Any = None
    kind: str = ""  # the CLI noun, for "no <kind> X" messages
    prefill: Any = None  # the form's starting values for a filer, as the CLI's defaults: (Identity) -> dict
    # Fields this form fixes, as its CLI command does (which joint decision a withdrawal is of).
    preset: tuple[tuple[str, Any], ...] = ()
    # A select narrowed to the choices this form offers, as its CLI command's options are.
    narrowed: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Fields the form asks that the instrument does not carry: read_fields uses them.
    asks: tuple[Field, ...] = ()
    # Fields the form may leave empty for read_fields to infer as the CLI's command does: (name, hint).
    inferred: tuple[tuple[str, str], ...] = ()
    # What the receipt means, in the CLI's words, where the Update's answer does not say it.
    said: Any = None  # (filing, receipt) -> str

    def captions(self) -> dict[str, str]:
        """Each field's caption on the form, by the instrument's field name (what refusals name)."""
        return {f.name: f.caption for f in self.fields()}

    def starting_values(self, filer: Identity) -> dict[str, str]:
        return self.prefill(filer) if self.prefill else {}

    def fields(self) -> list[Field]:
        fixed = {*SET_BY_CONSOLE, *dict(self.preset)}
        names = [n for n in self.model.model_fields if n not in fixed]
        found = [field_of(n, self.model.model_fields[n]) for n in names]
        narrowed = dict(self.narrowed)
        found = [replace(f, choices=narrowed[f.name]) if f.name in narrowed else f for f in found]
        inferred = dict(self.inferred)
        found = [replace(f, required=False, hint=inferred[f.name]) if f.name in inferred else f for f in found]
        if self.on and self.on not in names:  # filed on a thing the instrument does not name
            found.insert(0, Field(self.on, "text", required=True, label=ON_CAPTION[self.on]))
        return found + list(self.asks)

    async def file(self, filing: Filing, target: str | None) -> Any:
        """Sign with this office's key and file; the Update's answer is the receipt."""
        if self.on is None:
            handle = await partnership()
            return await send(handle, self.update, signed_by_filer(filing))
        if not target:
            raise Refused(f"say which {self.kind} this is filed on")
        return await file_on(target, self.update, filing, self.show, self.kind, signer=signed_by_filer)


def _action(slug: str, title: str, model: type[Filing], update: Any, **more: Any) -> Instrument:
    return Instrument(slug, title, model, update, on="action_id", show=JointActionWorkflow.show, kind="action", **more)


def _amendment(slug: str, title: str, model: type[Filing], update: Any) -> Instrument:
    return Instrument(slug, title, model, update, on="amendment_id", show=AmendmentWorkflow.show, kind="amendment")


def _consult(slug: str, title: str, model: type[Filing], update: Any, filers=PARTICIPANTS, **more: Any) -> Instrument:
    show = ConsultationWorkflow.show
    return Instrument(slug, title, model, update, filers, on="consultation_id", show=show, kind="consult", **more)


def _forum(slug: str, title: str, model: type[Filing], update: Any, filers=PARTICIPANTS, **more: Any) -> Instrument:
    return Instrument(slug, title, model, update, filers, on=FORUM, show=ForumCycleWorkflow.show, kind="forum", **more)


def _withdrawal(decision: str | None = None, narrowed: tuple[str, ...] = (), keeps: str = "") -> dict[str, Any]:
    """What a JointWithdrawal form fixes, as its CLI command does: the joint decision it withdraws
    (or a select of the `narrowed` ones), and no value for the fields those do not use (`keeps`:
    the one they use, a group's area or a decision's number)."""
    preset: dict[str, Any] = {"decision": decision} if decision else {}
    preset |= {f: None for f in ("area", "number") if f != keeps}
    return {"preset": tuple(preset.items()), "narrowed": (("decision", narrowed),) if narrowed else ()}


def wound_down(filing: WindDown, still_open: list) -> str:
    """The Update answers the actions still ongoing: a bare `[]` told nobody it worked (walkthrough 3)."""
    waiting = f"filed; {len(filing.actions)} action(s) are wound down once the other Participant files the same"
    return wound_down_line(filing, still_open) or waiting


def _own_co_chair(side: Identity) -> dict[str, str]:
    """A nomination form starts with the side's own ministry (¶7), as `forum nominate` does; its rank
    starts empty, to be read from the title as `forum nominate` reads it (read_fields)."""
    return {"ministry": co_chair_ministry(side).value}


P = PartnershipWorkflow
INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("action-propose", "Propose a joint action", JointActionProposal, P.propose_joint_action),
    _action("action-agree", "Agree a proposed joint action", ActionAgreement, JointActionWorkflow.agree),
    _action("action-report", "Report progress on a joint action", ProgressReport, JointActionWorkflow.report),
    _action("action-cost-share", "Propose a cost arrangement (¶28)", CostArrangement, JointActionWorkflow.cost_share),
    _action("action-close", "Complete or discontinue a joint action", ActionClosure, JointActionWorkflow.close),
    _action(
        "action-withdraw",
        "Withdraw your waiting cost arrangement or closure",
        JointWithdrawal,
        JointActionWorkflow.withdraw_joint_filing,
        **_withdrawal(narrowed=ON_ACTION),
    ),
    Instrument(
        "action-wind-down",
        "Wind down ongoing joint actions (¶32; none named: all)",
        WindDown,
        P.wind_down,
        said=wound_down,
        inferred=(("actions", "— : every ongoing one (as `action wind-down`)"),),
    ),
    Instrument(
        "action-wind-down-withdraw",
        "Withdraw your waiting wind-down (¶32)",
        JointWithdrawal,
        P.withdraw_joint_filing,
        **_withdrawal("wind-down"),
    ),
    Instrument("amendment-propose", "Propose an amendment (¶33)", AmendmentProposal, P.propose_amendment),
    _amendment("amendment-consent", "Consent to an amendment", AmendmentConsent, AmendmentWorkflow.consent),
    _amendment("amendment-decline", "Decline an amendment", AmendmentDecline, AmendmentWorkflow.decline),
    _amendment("amendment-withdraw", "Withdraw your amendment", AmendmentWithdrawal, AmendmentWorkflow.withdraw),
    Instrument("termination-notify", "Give notice of termination (¶31)", TerminationNotice, P.give_termination_notice),
    Instrument(
        "termination-withdraw",
        "Withdraw your notice of termination",
        TerminationWithdrawal,
        P.withdraw_termination_notice,
    ),
    Instrument("group-set-leads", "Set a working group's leads (¶7)", GroupLeads, P.set_group_leads),
    Instrument(
        "group-withdraw",
        "Withdraw your waiting filing of a working group's leads",
        JointWithdrawal,
        P.withdraw_joint_filing,
        **_withdrawal("group-leads", keeps="area"),
    ),
    Instrument("consult-open", "Raise a difference (¶29)", ConsultationRequest, P.open_consultation),
    # The secretariat records a round it convened, as the CLI lets it (walkthrough 2).
    _consult(
        "consult-note",
        "Record a round of consultation",
        ConsultationRound,
        ConsultationWorkflow.note,
        FILERS,
        inferred=(("held_on", "— : today, the filer's (as `consult note`)"),),
    ),
    _consult("consult-propose", "Propose an outcome", ResolutionProposal, ConsultationWorkflow.propose),
    _consult(
        "consult-accept",
        "Accept a proposed outcome",
        ResolutionAcceptance,
        ConsultationWorkflow.accept,
        inferred=(("proposal", "— : the latest (as `consult accept`)"),),
    ),
    _consult(
        "consult-withdraw", "Withdraw a consultation you opened", ConsultationWithdrawal, ConsultationWorkflow.withdraw
    ),
    Instrument(
        "forum-start",
        "Start a Forum cycle",
        ForumConvocation,
        P.start_forum,
        SECRETARIAT_ONLY,
        narrowed=(("host", tuple(p.value for p in PARTICIPANTS)),),  # a Participant hosts (rules/p07_forum)
    ),
    Instrument(
        "forum-schedule",
        "Set the Forum's usual date (each cycle then starts itself)",
        ForumCalendar,
        P.set_forum_calendar,
        SECRETARIAT_ONLY,
    ),
    _forum(
        "forum-nominate",
        "Nominate your co-chair",
        CoChairNomination,
        ForumCycleWorkflow.nominate,
        prefill=_own_co_chair,
        inferred=(("rank", "— : the rank the title names, else your side's usual one (as `forum nominate`)"),),
    ),
    _forum("forum-agenda-add", "Add an agenda item", AgendaItemFiling, ForumCycleWorkflow.add_item, ANY_FILER),
    _forum(
        "forum-agenda-withdraw",
        "Withdraw an agenda item you added",
        AgendaItemWithdrawal,
        ForumCycleWorkflow.withdraw_item,
        ANY_FILER,
        asks=(Field("ref", "text", label="Its ¶ or commitment ref"), Field("title", "text", label="Its title")),
    ),
    _forum("forum-agenda-agree", "Agree the agenda", AgendaAgreement, ForumCycleWorkflow.agree_agenda),
    _forum("forum-postpone", "Move the Forum", Postponement, ForumCycleWorkflow.postpone),
    _forum(
        "forum-postpone-withdraw",
        "Withdraw your waiting postponement",
        JointWithdrawal,
        ForumCycleWorkflow.withdraw_joint_filing,
        **_withdrawal("postponement"),
    ),
    _forum("forum-convene", "Record that the Forum met", Convening, ForumCycleWorkflow.convene, SECRETARIAT_ONLY),
    _forum("forum-decide", "Table a decision", DecisionTabled, ForumCycleWorkflow.table_decision, SECRETARIAT_ONLY),
    _forum("forum-agree", "Agree a tabled decision", DecisionAgreement, ForumCycleWorkflow.agree_decision),
    _forum("forum-minutes", "File the minutes", MinutesFiling, ForumCycleWorkflow.file_minutes, SECRETARIAT_ONLY),
    _forum("forum-approve", "Approve the minutes", MinutesApproval, ForumCycleWorkflow.approve_minutes),
    _forum(
        "forum-withdraw-agreement",
        "Withdraw your waiting agreement to the agenda, a decision or the minutes",
        JointWithdrawal,
        ForumCycleWorkflow.withdraw_joint_filing,
        **_withdrawal(narrowed=ON_FORUM_AGREEMENTS, keeps="number"),
    ),
    Instrument(
        "checkpoint-sign",
        "Sign the decision register as this office reads it (a checkpoint)",
        RegisterCheckpoint,
        P.sign_checkpoint,
    ),
)
BY_SLUG = {i.slug: i for i in INSTRUMENTS}
#: The form that answers an inbox item naming its instrument. A JointWithdrawal answers none: it
#: is offered beside the waiting filing it withdraws, one form per kind of thing it is filed on.
BY_MODEL = {i.model.__name__: i for i in INSTRUMENTS if i.model is not JointWithdrawal}


def offered_to(identity: Identity | None) -> list[Instrument]:
    return [i for i in INSTRUMENTS if identity in i.filers]


# Fields --------------------------------------------------------------------------------------------


def _optional(annotation: Any) -> tuple[Any, bool]:
    """The annotation without `| None`, and whether None was allowed."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def field_of(name: str, info: FieldInfo) -> Field:
    annotation, optional = _optional(info.annotation)
    required = info.is_required()
    base = typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation
    if base is date:
        return Field(name, "date", required, hint="YYYY-MM-DD" + ("; optional" if optional else ""))
    if base is int:
        return Field(name, "number", required)
    if isinstance(base, type) and issubclass(base, Enum):
        return Field(name, "select", required, tuple(str(m.value) for m in base))
    if typing.get_origin(base) is Literal:
        return Field(name, "select", required, tuple(str(a) for a in typing.get_args(base)))
    if typing.get_origin(base) is list:
        (item,) = typing.get_args(base)
        if item is int:
            return Field(name, "numbers", required, hint="numbers separated by commas")
        if item is str or typing.get_origin(item) is typing.Annotated:
            return Field(name, "lines", required, hint="one a line")
        return Field(name, "json", required, hint="a JSON list; leave empty for none")
    longest = max_characters([*info.metadata, annotation])
    widget = "textarea" if longest is not None and longest > LINE_MAX else "text"
    return Field(name, widget, required, max_length=longest)


__all__ = ["INSTRUMENTS", "BY_SLUG", "BY_MODEL", "Instrument", "ValidationError"]
