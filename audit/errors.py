"""What the audit commands can refuse with; apart from audit/archive.py so the CLI can name it
without importing the database layer at every start."""

from __future__ import annotations


class ArchiveMissing(Exception):
    """The register database holds no archive (no register, or one from before the archive)."""
