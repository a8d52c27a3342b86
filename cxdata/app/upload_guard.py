"""Which browser sessions may send files to the server, and how much.

Streamlit accepts a file (``PUT /_stcore/upload_file/{session}/{file}``) from any live session,
whether or not its page shows an uploader, and keeps it in memory until the session ends. A viewer,
or a visitor who has not logged in yet, could so fill the server's memory 50 MB at a time. The
guard wraps the server's uploaded-file manager once: a file is kept only from a session whose
visitor may upload (``permit``, called on every run of the entrypoint once the visitor is known),
and only while that session holds at most ``SESSION_QUOTA_BYTES``. Anything else is refused
before it is stored (HTTP 403 or 413), so the refused bytes never stay in the server's memory.

A session the guard has not heard of is refused: it fails closed.
"""

from __future__ import annotations

import threading

from starlette.exceptions import HTTPException

from cxdata.ingest.preset import Limits

# One upload at the size limit plus the one it replaces while the analyst picks again.
SESSION_QUOTA_BYTES = 2 * Limits().max_bytes

_may_upload: dict[str, bool] = {}
_lock = threading.Lock()


def permit(session_id: str, may_upload: bool) -> None:
    """Record whether the visitor of this session may send files (the latest run decides)."""
    with _lock:
        _may_upload[session_id] = may_upload


def permit_this_session(may_upload: bool) -> None:
    """Guard the server (once) and record what the running session's visitor may do."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    install()
    context = get_script_run_ctx()
    if context is not None:
        permit(context.session_id, may_upload)


def check(session_id: str, held_bytes: int, new_bytes: int) -> None:
    """Raise the HTTP error that refuses a file, or return if the file may be kept."""
    with _lock:
        allowed = _may_upload.get(session_id, False)
    if not allowed:
        raise HTTPException(status_code=403, detail="This session may not upload files.")
    if held_bytes + new_bytes > SESSION_QUOTA_BYTES:
        raise HTTPException(status_code=413, detail="This session holds too many uploaded files.")


def install() -> None:
    """Guard the running server's uploaded-file manager (once per process; no server, no-op)."""
    from streamlit.runtime import Runtime

    if Runtime.exists():
        guard(Runtime.instance().uploaded_file_mgr)


def guard(manager) -> None:
    """Make a ``MemoryUploadedFileManager`` keep only the files ``check`` lets through (idempotent)."""
    if getattr(manager, "_cx_guarded", False):
        return
    add_file, remove_session_files = manager.add_file, manager.remove_session_files

    def guarded_add_file(session_id, file):
        with manager._lock:
            held = sum(len(rec.data) for rec in manager.file_storage.get(session_id, {}).values())
        check(session_id, held, len(file.data))
        add_file(session_id, file)

    def forgetting_remove_session_files(session_id):
        with _lock:
            _may_upload.pop(session_id, None)
        remove_session_files(session_id)

    manager.add_file = guarded_add_file
    manager.remove_session_files = forgetting_remove_session_files
    manager._cx_guarded = True
