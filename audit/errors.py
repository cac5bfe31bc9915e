"""What the audit commands can refuse with; apart from audit/archive.py so the CLI can name it
without importing the database layer at every start."""

from __future__ import annotations

#: What `status` says where the register holds no archive yet.
NO_ARCHIVE_YET = "archive: none yet (the first pass creates it)"


class ArchiveMissing(Exception):
    """The register database holds no archive (no register, or one from before the archive)."""


class RegisterUnreachable(Exception):
    """No register answers where this machine looks for it (an office that runs no stack, a wrong
    `DATABASE_URL`, a database that is down): what needs the register cannot be done here."""
