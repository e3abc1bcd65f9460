"""A plan file uploaded by the office: a dry-run preview, then a one-time token confirms it.

``preview`` reads the file with the same readers as ``import_plan`` (tasks/plan_sources/) and
answers every task as it will be stored, each unit resolved to a known unit or marked new; the
file is kept under the uploader's id in ``MEDIA_ROOT/plan-uploads/`` and named by its SHA-256,
the token. ``confirm`` reads that file again, checks it all again and imports it in one
transaction with one audit entry by the uploader; the token is then removed, so it works once
and only for the user who previewed. Only the office (and administrators) may do either.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from tasks.importer import ImportResult, import_parsed, parse_file
from tasks.models import Plan, Unit
from tasks.plan_parser import ParsedPlan, PlanFormatError
from tasks.plan_sources import PlanFileError
from tasks.plan_sources.reader import Limits, human_size
from tasks.services.checks import require
from tasks.services.errors import InvalidInput

TOKEN_RE = re.compile(r"^[0-9a-f]{64}$")
SUFFIXES = (".xlsx", ".docx", ".txt")


def limits() -> Limits:
    return Limits(
        max_bytes=getattr(settings, "PLAN_UPLOAD_MAX_BYTES", Limits.max_bytes),
        max_unpacked_bytes=getattr(settings, "PLAN_UPLOAD_MAX_UNPACKED_BYTES", Limits.max_unpacked_bytes),
        max_rows=getattr(settings, "PLAN_UPLOAD_MAX_ROWS", Limits.max_rows),
    )


@dataclass
class Preview:
    plan: ParsedPlan
    filename: str
    token: str
    new_units: set[str]
    existing_plan: Plan | None

    @property
    def measures(self) -> int:
        return sum(len(t.measures) for t in self.plan.tasks)


def _suffix(filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput("请上传 Excel（.xlsx）、Word（.docx）或文本（.txt）格式的方案清单", field="file")
    return suffix


def read_upload(upload) -> bytes:
    """The uploaded file's bytes, refused before reading when it is over the size limit."""
    if upload is None:
        raise InvalidInput("请选择要导入的方案文件", field="file")
    _suffix(upload.name)
    max_bytes = limits().max_bytes
    if upload.size > max_bytes:
        raise InvalidInput(
            f"文件大小 {human_size(upload.size)}，超过 {human_size(max_bytes)} 的上限",
            field="file",
        )
    return upload.read()


def _parse(data: bytes, filename: str, year: int | None) -> ParsedPlan:
    try:
        return parse_file(data, filename, year=year, limits=limits())
    except PlanFileError as exc:
        raise InvalidInput(str(exc), field="file") from None
    except PlanFormatError as exc:
        raise InvalidInput(f"未导入任何内容。{exc}", field="file") from None


def _staged_name(user, token: str, suffix: str) -> str:
    return f"plan-uploads/{user.pk}/{token}{suffix}"


def preview(data: bytes, filename: str, *, user, year: int | None = None) -> Preview:
    require(user, "import_plan")
    suffix = _suffix(filename)
    plan = _parse(data, filename, year)
    token = hashlib.sha256(data).hexdigest()
    name = _staged_name(user, token, suffix)
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(data))
    names = {u.name for t in plan.tasks for u in (*t.responsible_units, *t.cooperating_units)}
    names |= {o.unit for t in plan.tasks for o in t.officials if o.unit}
    known = set(Unit.objects.filter(name__in=names).values_list("name", flat=True))
    return Preview(plan, filename, token, names - known, Plan.objects.filter(title=plan.title).first())


def confirm(token: str, filename: str, *, user, year: int | None = None) -> ImportResult:
    require(user, "import_plan")
    token = (token or "").strip().lower()
    suffix = _suffix(filename)
    name = _staged_name(user, token, suffix)
    if not TOKEN_RE.match(token) or not default_storage.exists(name):
        raise InvalidInput("预览已失效或不属于您，请重新上传方案文件", field="token")
    with default_storage.open(name, "rb") as f:
        data = f.read()
    plan = _parse(data, filename, year)
    with transaction.atomic():
        result = import_parsed(
            plan, source_file=PurePath(filename).name[:300], source_sha256=token, actor=user
        )
    default_storage.delete(name)
    return result
