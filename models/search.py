"""Search attributes: the Web UI and `temporal workflow list --query` find governed things by them."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

#: The lifecycle state of the governed thing (e.g. IN_EFFECT, ACTIVE).
GOVERNANCE_STATE = SearchAttributeKey.for_keyword("GovernanceState")
#: The ¶ refs and joint-action commitment refs the thing falls under (e.g. ["31"], ["9b"]).
PARAGRAPH_REFS = SearchAttributeKey.for_keyword_list("ParagraphRefs")

ALL: tuple[SearchAttributeKey, ...] = (GOVERNANCE_STATE, PARAGRAPH_REFS)
