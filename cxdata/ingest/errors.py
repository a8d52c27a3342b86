"""The exceptions of the upload engine. Bad user arguments are plain ``ValueError``s."""

from __future__ import annotations

import errno
import logging

from cxdata.i18n import translate
from cxdata.ingest.messages import Issue


class IngestError(Exception):
    """Base class: an upload or undo that could not be done."""


class ExtractRefused(IngestError):
    """The file itself is refused (too large, empty, hostile, not what its name says)."""

    def __init__(self, issue: Issue):
        super().__init__(issue.message("en"))
        self.issue = issue


class UploadBusyError(IngestError):
    """Another upload held the database for longer than the caller was willing to wait.

    ``str()`` is for the command line (the path, the holder's pid); ``holder`` (who, what, since,
    as the lock file says; empty when another program holds the file) is for the page's message.
    """

    def __init__(self, text: str, holder: dict | None = None):
        super().__init__(text)
        self.holder = holder or {}


class ChangeRefused(IngestError):
    """A write refused before it changed anything: ``message(lang)`` says why, ``str()`` in English."""

    def __init__(self, text_key: str, **values: object):
        self.text_key, self.values = text_key, values
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        from cxdata.i18n import translate

        return translate(self.text_key, lang, **{name: value.text(lang) if hasattr(value, "text") else value
                                                 for name, value in self.values.items()})


class UndoError(ChangeRefused):
    """An upload that cannot be undone (already undone, later uploads depend on it, someone else's,
    the data changed while waiting)."""


class UndoNotFound(UndoError, LookupError):
    """No upload of that id in the log."""


class TargetChanged(ChangeRefused):
    """A load that overwrites rows waited for the upload lock and found its table changed meanwhile."""


def describe_failure(error: BaseException, lang: str) -> str:
    """One line for a load or undo that failed on the server (disk full, a read-only folder, a
    database error): what happened and what to do, never the server's paths or a traceback.

    >>> describe_failure(OSError(errno.ENOSPC, "No space left on device", "/srv/data/cx.duckdb"), "en")
    'The server ran out of disk space; nothing was changed. Free some space (or ask the administrator) and try again.'
    """
    text = str(error).lower()
    if getattr(error, "errno", None) == errno.ENOSPC or "no space left" in text or "disk is full" in text:
        key = "ingest_failed_disk_full"
    elif getattr(error, "errno", None) in (errno.EACCES, errno.EPERM, errno.EROFS) or "read-only" in text \
            or "permission denied" in text:
        key = "ingest_failed_read_only"
    else:
        key = "ingest_failed_other"
    logging.getLogger(__name__).info("load failed: %s: %s", type(error).__name__, error)  # for the operator
    return translate(key, lang)


class PresetError(ValueError):
    """A preset that cannot be used (unknown key, bad delimiter, ...): the user's input.

    ``key`` and ``values`` give the text in English and Russian (``message(lang)``); ``str()``
    is the English one.
    """

    def __init__(self, text_key: str, **values):
        super().__init__(translate(text_key, "en", **values_in(values, "en")))
        self.key, self.values = text_key, values

    def message(self, lang: str) -> str:
        return translate(self.key, lang, **values_in(self.values, lang))


def values_in(values: dict, lang: str) -> dict:
    """Message values, with the translated ones ({"en": ..., "ru": ...}) in ``lang``."""
    return {k: v.get(lang, v["en"]) if isinstance(v, dict) and "en" in v else v for k, v in values.items()}
