"""Names that cross process boundaries, defined once: the activities' names, which the workflows
schedule, the worker registers and the audit reads back from histories; the Partnership's default
workflow id, which every command addresses."""

from __future__ import annotations

#: activities/register.py: one row in the decision register.
RECORD_DECISION = "record_decision"
#: activities/notify.py: one mail (or Maildir file).
NOTIFY = "notify"
#: activities/register.py: a long text (an amendment's wording), content-addressed by SHA-256.
STORE_TEXT = "store_text"
#: activities/register.py: a governed thing's last summary, once it is closed (issue 12).
FILE_CLOSED = "file_closed"
#: activities/children.py: whether a governed thing shown closed has closed, as Temporal says.
CHECK_CHILD = "check_child"
#: activities/children.py: whether the Partnership took the decision a message to a child rests on.
CHECK_SENDER = "check_sender"
#: workflows/bounded.py: the Partnership's query of the instruments behind the decisions it took.
TOOK = "took"

#: workflows/partnership.py: the Partnership's default workflow id; decisions and mails are keyed by the actual one.
PARTNERSHIP_ID = "partnership"

#: workflows/registry.py: the workflow types that govern something (the archive's housekeeping does
#: not), by the names histories and visibility carry; the registry's own list is held to these.
GOVERNED_TYPES = (
    "PartnershipWorkflow",
    "AmendmentWorkflow",
    "JointActionWorkflow",
    "ConsultationWorkflow",
    "ForumCycleWorkflow",
)
#: Visibility query for the governance workflows only; the namespace may hold others.
GOVERNED = "WorkflowType IN ({})".format(", ".join(f"'{name}'" for name in GOVERNED_TYPES))
