"""The one list of governed workflow types: each with the ¶ it governs and, derived from its own
definition, the signals it accepts. The worker registers these, the audit queries them, the
timeline labels them; `tests/test_layout.py` checks every `@workflow.defn` class is here."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

from models import names
from workflows.amendment import AmendmentWorkflow
from workflows.archive import ArchiveWorkflow
from workflows.consultation import ConsultationWorkflow
from workflows.forum import ForumCycleWorkflow
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow


@dataclass(frozen=True)
class WorkflowType:
    cls: type
    #: The ¶ its own timers and states apply; None where each instance names its own (a joint
    #: action's commitment ref, ¶9–27).
    paragraph: str | None
    #: False for the engine's own housekeeping (the archive, issue 14): it governs nothing, so
    #: it is neither archived nor audited as a governed thing.
    governed: bool = True

    @property
    def name(self) -> str:
        return workflow._Definition.must_from_class(self.cls).name or self.cls.__name__

    @property
    def signals(self) -> frozenset[str]:
        """What other workflows may tell it."""
        return frozenset(n for n in workflow._Definition.must_from_class(self.cls).signals if n)


WORKFLOW_TYPES = (
    WorkflowType(PartnershipWorkflow, "31"),
    WorkflowType(AmendmentWorkflow, "33"),
    WorkflowType(JointActionWorkflow, None),
    WorkflowType(ConsultationWorkflow, "29"),
    WorkflowType(ForumCycleWorkflow, "7"),
    WorkflowType(ArchiveWorkflow, None, governed=False),
)
WORKFLOWS = [t.cls for t in WORKFLOW_TYPES]
#: ¶ by workflow type name, where the type alone says it.
TYPE_PARAGRAPHS = {t.name: t.paragraph for t in WORKFLOW_TYPES if t.paragraph}
#: Visibility query for the governance workflows only (models/names.py, which a command reads
#: without importing the workflows; tests/test_cli_lazy.py holds it to the list above).
GOVERNED = names.GOVERNED
