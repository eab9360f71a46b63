"""Evidence files: checked by their bytes, kept outside the database, never served as HTML.

The type is decided from the file's first bytes, not from its name or the
browser's claim, and only a short list of document and image types is
accepted. Stored files are named by a random id (no extension, no user
input in the path) and always served as downloads.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

ALLOWED = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/plain": ".txt",
}
_OFFICE = {".docx", ".pptx", ".xlsx"}


class EvidenceRejected(Exception):
    """Why a file was refused, in words a teacher understands, with the HTTP status."""

    def __init__(self, reason: str, status: int = 422) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class StoredFile:
    id: str
    filename: str
    content_type: str
    size: int


def sniff(head: bytes, filename: str) -> str | None:
    """The content type from the first bytes, or None if it is not one we accept."""
    ext = Path(filename).suffix.lower()
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04") and ext in _OFFICE:
        return next(t for t, e in ALLOWED.items() if e == ext)
    if ext == ".txt" and b"\x00" not in head and not _looks_like_markup(head):
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "text/plain"
    return None


def _looks_like_markup(head: bytes) -> bool:
    start = head.lstrip()[:20].lower()
    return start.startswith((b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script"))


def safe_filename(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._ -]", "_", base).strip(" .")
    return (cleaned or "evidence")[:120]


class EvidenceStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self._root = root
        self.max_bytes = max_bytes

    def path(self, school_id: str, evidence_id: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{32}", evidence_id):
            raise ValueError("bad evidence id")
        return self._root / re.sub(r"[^A-Za-z0-9_-]", "_", school_id) / evidence_id

    def save(self, school_id: str, filename: str, data: bytes) -> StoredFile:
        if not data:
            raise EvidenceRejected("That file is empty.")
        if len(data) > self.max_bytes:
            raise EvidenceRejected(
                f"That file is too big: the limit is {self.max_bytes // (1024 * 1024)} MB.", 413
            )
        content_type = sniff(data[:64], filename)
        if content_type is None:
            raise EvidenceRejected(
                "That type of file can't be added. Photos (JPEG, PNG, HEIC), PDFs, "
                "Word, PowerPoint, Excel and plain text are fine."
            )
        evidence_id = uuid.uuid4().hex
        path = self.path(school_id, evidence_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return StoredFile(evidence_id, safe_filename(filename), content_type, len(data))

    def delete(self, school_id: str, evidence_id: str) -> None:
        self.path(school_id, evidence_id).unlink(missing_ok=True)
