"""The upload guard on a real ``MemoryUploadedFileManager``: who may leave a file in the server's
memory, and how much. The browser side (a viewer's PUT refused by the running server) is in
``tests/test_auth_browser.py``."""

from __future__ import annotations

import pytest
from starlette.exceptions import HTTPException
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec

from cxdata.app import upload_guard


def rec(file_id: str, size: int) -> UploadedFileRec:
    return UploadedFileRec(file_id=file_id, name=f"{file_id}.csv", type="text/csv", data=b"x" * size)


@pytest.fixture
def manager():
    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    upload_guard.guard(manager)
    upload_guard.guard(manager)  # twice: still one guard
    return manager


def stored(manager, session_id: str) -> list[str]:
    return sorted(manager.file_storage.get(session_id, {}))


def test_a_session_nobody_permitted_keeps_no_file(manager):
    with pytest.raises(HTTPException) as refused:
        manager.add_file("unknown-session", rec("a", 10))
    assert refused.value.status_code == 403
    assert stored(manager, "unknown-session") == []


def test_a_viewer_keeps_no_file_and_an_analyst_does(manager):
    upload_guard.permit("viewer-session", False)
    upload_guard.permit("analyst-session", True)
    with pytest.raises(HTTPException) as refused:
        manager.add_file("viewer-session", rec("a", 10))
    assert refused.value.status_code == 403
    manager.add_file("analyst-session", rec("a", 10))
    assert stored(manager, "viewer-session") == [] and stored(manager, "analyst-session") == ["a"]


def test_a_session_holds_at_most_its_quota(manager, monkeypatch):
    monkeypatch.setattr(upload_guard, "SESSION_QUOTA_BYTES", 100)
    upload_guard.permit("s", True)
    manager.add_file("s", rec("a", 60))
    manager.add_file("s", rec("b", 40))  # exactly the quota
    with pytest.raises(HTTPException) as refused:
        manager.add_file("s", rec("c", 1))
    assert refused.value.status_code == 413
    assert stored(manager, "s") == ["a", "b"]
    manager.remove_file("s", "a")  # the analyst removes a file: room again
    manager.add_file("s", rec("c", 60))
    assert stored(manager, "s") == ["b", "c"]


def test_the_rights_end_with_the_session(manager):
    upload_guard.permit("gone", True)
    manager.add_file("gone", rec("a", 1))
    manager.remove_session_files("gone")
    with pytest.raises(HTTPException):
        manager.add_file("gone", rec("b", 1))

