"""What the audit commands can refuse with; apart from audit/archive.py so the CLI can name it
without importing the database layer at every start."""

from __future__ import annotations

#: What `status` says where the register holds no archive yet.
NO_ARCHIVE_YET = "archive: none yet (the first pass creates it)"


class ArchiveMissing(Exception):
    """The register database holds no archive (no register, or one from before the archive)."""
