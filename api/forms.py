"""Reading what teachers' forms send, before a use case sees it."""

from __future__ import annotations

from fastapi import UploadFile

from services.evidence import Upload


async def read_upload(file: UploadFile | None, max_bytes: int) -> Upload | None:
    """The uploaded file, if one was chosen: one byte past the limit at most, no more."""
    if file is None or not file.filename:
        return None
    return Upload(file.filename, await file.read(max_bytes + 1))
