"""Checking and storing evidence files."""

import os

from django.conf import settings

from tasks.models import Evidence
from tasks.services.errors import InvalidInput

# What each allowed extension must look like in its first bytes.
MAGIC = {
    "pdf": [b"%PDF"],
    "png": [b"\x89PNG"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "zip": [b"PK\x03\x04"],
    "docx": [b"PK\x03\x04"],
    "xlsx": [b"PK\x03\x04"],
    "doc": [b"\xd0\xcf\x11\xe0"],
    "xls": [b"\xd0\xcf\x11\xe0"],
}


def check_file(upload) -> str:
    """Refuse files of a type or size we do not keep. Returns the lower-case extension."""
    name = os.path.basename(getattr(upload, "name", "") or "")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = [e.lower() for e in settings.EVIDENCE_EXTENSIONS]
    if ext not in allowed:
        raise InvalidInput(f"佐证材料“{name}”类型不支持，仅限 {'、'.join(allowed)}", field="evidence")
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        limit = settings.EVIDENCE_MAX_BYTES // (1024 * 1024)
        raise InvalidInput(f"佐证材料“{name}”超过 {limit} MB 上限", field="evidence")
    if upload.size == 0:
        raise InvalidInput(f"佐证材料“{name}”是空文件", field="evidence")
    head = upload.read(8)
    upload.seek(0)
    if ext in MAGIC and not any(head.startswith(m) for m in MAGIC[ext]):
        raise InvalidInput(f"佐证材料“{name}”的内容与扩展名 .{ext} 不符", field="evidence")
    return ext


def check_files(files) -> None:
    for upload in files:
        check_file(upload)


NAME_CHARS = 200  # Evidence.original_name


def display_name(name: str) -> str:
    """The user's file name as shown and offered on download, shortened to fit with its extension kept.
    The file itself is stored under a generated name (``tasks.models.ledger.evidence_path``)."""
    name = os.path.basename(name or "")
    if len(name) <= NAME_CHARS:
        return name
    stem, extension = os.path.splitext(name)
    extension = extension[:10]
    return stem[: NAME_CHARS - len(extension) - 1] + "…" + extension


def store(files, *, assignment, actor, report=None, signoff=None, review=None) -> list[Evidence]:
    stored = []
    for upload in files:
        stored.append(
            Evidence.objects.create(
                assignment=assignment,
                report=report,
                signoff=signoff,
                review=review,
                file=upload,
                original_name=display_name(upload.name),
                size=upload.size,
                content_type=(getattr(upload, "content_type", "") or "application/octet-stream")[:100],
                uploaded_by=actor,
            )
        )
    return stored
