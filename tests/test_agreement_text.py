"""The consolidated text (¶33) cuts the signed text into its paragraphs, headings apart."""

from __future__ import annotations

import re

from models.text import agreement_text, blocks


def test_each_paragraph_is_its_own_words_and_items_only():
    signed = agreement_text()
    parts = blocks(signed)
    numbered = {b.paragraph: b.text for b in parts if b.paragraph is not None}
    assert sorted(numbered) == list(range(1, 34))
    assert numbered[11].startswith("11. In view of the importance of semiconductors")
    assert numbered[11].endswith("including government bodies, industry, and academia.")
    assert "Pillar two" not in numbered[11] and "Artificial intelligence" not in numbered[11]
    assert numbered[33] == "33. This Partnership may be amended with the mutual written consent of the Participants."
    assert numbered[9].count("\n\n") == 1 and "c. facilitate cooperation" in numbered[9]
    headings = [b.text for b in parts if b.paragraph is None]
    assert any(h.startswith("Pillar two: Fostering technological innovation") for h in headings)
    assert headings[-1].startswith("Signed in duplicate at the Royal Society")
    # Nothing is lost: the blocks read back as the signed text.
    assert "\n\n".join(b.text for b in parts) == re.sub(r"\n\s*\n", "\n\n", signed.strip())
