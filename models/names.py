"""Names that cross process boundaries, defined once: the activities' names, which the workflows
schedule, the worker registers and the audit reads back from histories."""

from __future__ import annotations

#: activities/register.py: one row in the decision register.
RECORD_DECISION = "record_decision"
#: activities/notify.py: one mail (or Maildir file).
NOTIFY = "notify"
#: activities/register.py: a long text (an amendment's wording), content-addressed by SHA-256.
STORE_TEXT = "store_text"
#: activities/register.py: a governed thing's last summary, once it is closed (issue 12).
FILE_CLOSED = "file_closed"
