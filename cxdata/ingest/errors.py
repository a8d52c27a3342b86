"""The exceptions of the upload engine. Bad user arguments are plain ``ValueError``s."""

from __future__ import annotations

from cxdata.ingest.messages import Issue


class IngestError(Exception):
    """Base class: an upload or undo that could not be done."""


class ExtractRefused(IngestError):
    """The file itself is refused (too large, empty, hostile, not what its name says)."""

    def __init__(self, issue: Issue):
        super().__init__(issue.message("en"))
        self.issue = issue


class UploadBusyError(IngestError):
    """Another upload held the database for longer than the caller was willing to wait."""


class UndoError(IngestError):
    """An upload that cannot be undone (unknown, already undone, or later uploads depend on it)."""
