"""What a governed thing remembers of the filings it accepted: a signed paper is presented once,
and one identity makes a bounded number of filings on one thing (the Partnership remembers its own
by key instead: workflows/bounded.py)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.partnership import filer_mark, marked_by
    from models.signing import Filing
    from rules.common import filings_per_thing_problem


class RemembersFilings:
    _seen_filings: list[str]  # the list in the state (GovernedWorkflow._govern)

    def _was_seen(self, filing: Filing) -> bool:
        """Whether this very filing was accepted before: kept by its id's digest and filer, or, in
        a state carried from before, by its id."""
        seen = self._seen_filings
        return filer_mark(filing.filing_id, filing.filed_by) in seen or filing.filing_id in seen

    def _remember(self, filing: Filing) -> None:
        self._seen_filings.append(filer_mark(filing.filing_id, filing.filed_by))

    def _filings_problem(self, filing: Filing) -> str | None:
        """Why this thing takes no more filings of this filer, or None."""
        return filings_per_thing_problem(filing, marked_by(self._seen_filings, filing.filed_by))
