"""Reading a liaison's filled-in weekly sheet back into the ledger.

The sheet is the 整改台账 sheet of the weekly workbook (``reports.weekly``): the
liaison fills 本周进展 and 完成比例; the hidden columns 台账编号, 版本 and 报送周
stamp each row. ``check_upload`` reads the whole file and either returns the list
of changes or refuses it with every problem located by sheet, row and column.
``apply_upload`` then files each change as a progress report through
``tasks.services.ledger.submit_report`` (state machine, version check, audit) in
ONE transaction: one refused row rolls back all of them. A preview (dry run)
runs exactly the same services and rolls the transaction back, so what it shows
is what applying would do.

A row counts as changed when its 本周进展 or 完成比例 differs from what the live
ledger holds now for that week. A changed row whose stamp version is older than
the ledger's is refused as stale; an unchanged one is skipped. A sheet of a week
the weekly dispatch has frozen (``reports.models.WeeklySnapshot``) is refused:
that week's workbook is the record the office sent up and no longer changes.

Every problem is gathered before answering: a bad cell, an unknown row, another
unit's row and a frozen week come back together in one refusal.
"""

import hashlib
import io
import re
import zipfile
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from reports.models import WeeklySnapshot
from reports.rows import ledger_rows
from reports.weekly import COL, LEDGER_HEADERS, LEDGER_SHEET
from tasks.choices import Role
from tasks.models import Assignment
from tasks.policy import can, role_of
from tasks.services.checks import ascii_int
from tasks.services.errors import Forbidden, InvalidInput, LedgerError
from tasks.services.ledger import submit_report
from tasks.weeks import BadWeek, clean_week
from tasks.weeks import today as local_today

MAX_BYTES = getattr(settings, "REPORTS_UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
MAX_UNPACKED_BYTES = getattr(settings, "REPORTS_UPLOAD_MAX_UNPACKED_BYTES", 50 * 1024 * 1024)
MAX_ROWS = getattr(settings, "REPORTS_UPLOAD_MAX_ROWS", 2000)
MAX_PROBLEMS = 50  # enough to fix a file; more would hide the first ones

FIELD_COLUMNS = {"percent": "完成比例", "text": "本周进展", "week": "报送周"}


@dataclass(frozen=True)
class Problem:
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None  # a column letter

    def __str__(self):
        where = ""
        if self.sheet:
            where = f"工作表“{self.sheet}”"
            if self.row:
                where += f"第 {self.row} 行"
            if self.column:
                where += f" {self.column} 列"
        return f"{where}：{self.message}" if where else self.message

    def as_dict(self) -> dict:
        return {**asdict(self), "text": str(self)}


class UploadRefused(InvalidInput):
    """The file is refused; ``problems`` lists every located problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        first = str(problems[0])
        more = f"（共 {len(problems)} 处问题）" if len(problems) > 1 else ""
        super().__init__(first + more, field="file")


@dataclass
class Change:
    row: int
    assignment_id: int
    version: int
    task_number: int
    unit: str
    week: str
    percent_before: int
    percent_after: int
    text_before: str
    text_after: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Outcome:
    """What an upload changes (or changed); ``applied`` is False for a preview."""

    sha256: str
    week: str | None
    rows: int
    changes: list[Change]
    applied: bool = False

    @property
    def unchanged(self) -> int:
        return self.rows - len(self.changes)

    def as_dict(self) -> dict:
        return {
            "sha256": self.sha256,
            "week": self.week,
            "rows": self.rows,
            "unchanged": self.unchanged,
            "applied": self.applied,
            "changes": [c.as_dict() for c in self.changes],
        }


def _letter(header: str) -> str:
    return get_column_letter(COL[header])


def _at(row: int, header: str, message: str) -> Problem:
    return Problem(message, LEDGER_SHEET, row, _letter(header))


def read_bytes(upload) -> bytes:
    """The uploaded file's bytes, refused when empty or over ``MAX_BYTES``."""
    if isinstance(upload, bytes):
        data = upload
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > MAX_BYTES:
            raise UploadRefused([Problem(_too_large(size))])
        data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise UploadRefused([Problem(_too_large(len(data)))])
    if not data:
        raise UploadRefused([Problem("文件是空的")])
    return data


def _too_large(size: int) -> str:
    return f"文件过大（{size / 1024 / 1024:.1f} MB），上限为 {MAX_BYTES / 1024 / 1024:.0f} MB"


def _open_workbook(data: bytes):
    not_workbook = Problem("文件不是 Excel 工作簿（.xlsx），请上传从本系统下载的周报表")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise UploadRefused([not_workbook]) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise UploadRefused(
            [
                Problem(
                    f"工作簿解压后过大（{unpacked / 1024 / 1024:.0f} MB），上限为 {MAX_UNPACKED_BYTES / 1024 / 1024:.0f} MB"
                )
            ]
        )
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a broken file; all mean the same
        raise UploadRefused([not_workbook]) from None


def _int_cell(value) -> int | None:
    """An integer typed into a cell (65, 65.0, "65", "65%"); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip().removesuffix("%").strip()
        number = ascii_int(text.removeprefix("-"))
        if number is not None:
            return -number if text.startswith("-") else number
    return None


def _text_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


@dataclass
class _Row:
    """A data line of the sheet; fields that could not be read are None (and a problem says why)."""

    row: int
    assignment_id: int | None
    version: int | None
    week: str | None
    percent: int | None
    text: str

    @property
    def ok(self) -> bool:
        return None not in (self.assignment_id, self.version, self.week, self.percent)


def _check_headers(header) -> list[Problem]:
    problems = []
    header = list(header or ())
    for index, expected in enumerate(LEDGER_HEADERS, 1):
        actual = _text_cell(header[index - 1]) if index <= len(header) else ""
        if actual != expected:
            problems.append(
                Problem(
                    f"表头应为“{expected}”，实为“{actual or '空'}”", LEDGER_SHEET, 1, get_column_letter(index)
                )
            )
    return problems


def _parse_row(number: int, values) -> tuple[_Row, list[Problem]]:
    def get(header):
        index = COL[header] - 1
        return values[index] if index < len(values) else None

    problems = []
    assignment_id = _int_cell(get("台账编号"))
    if assignment_id is None or assignment_id <= 0:
        assignment_id = None
        problems.append(
            _at(
                number,
                "台账编号",
                f"台账编号“{_text_cell(get('台账编号')) or '空'}”不正确（隐藏列，请勿改动）",
            )
        )
    version = _int_cell(get("版本"))
    if version is None or version <= 0:
        version = None
        problems.append(
            _at(number, "版本", f"版本“{_text_cell(get('版本')) or '空'}”不正确（隐藏列，请勿改动）")
        )
    try:
        week = clean_week(_text_cell(get("报送周")))
    except BadWeek as exc:
        week = None
        problems.append(_at(number, "报送周", f"{exc}（隐藏列，请勿改动）"))
    raw_percent = get("完成比例")
    percent = _int_cell(raw_percent)
    if raw_percent is None or _text_cell(raw_percent) == "":
        percent = None
        problems.append(_at(number, "完成比例", "请填写完成比例（0–100 的整数）"))
    elif percent is None:
        problems.append(
            _at(number, "完成比例", f"完成比例“{_text_cell(raw_percent)}”不是整数，应填 0–100 的整数")
        )
    elif not 0 <= percent <= 100:
        percent = None
        problems.append(_at(number, "完成比例", f"完成比例 {_int_cell(raw_percent)} 超出 0–100"))
    return _Row(number, assignment_id, version, week, percent, _text_cell(get("本周进展"))), problems


def _read_rows(workbook) -> tuple[list[_Row], list[Problem]]:
    """Every data line of 整改台账 and the problems found in its cells.

    A missing sheet, wrong headers or too many rows are refused at once (nothing
    else can be read); cell problems are returned to be reported with the rest.
    """
    if LEDGER_SHEET not in workbook.sheetnames:
        raise UploadRefused([Problem(f"找不到工作表“{LEDGER_SHEET}”，请上传从本系统下载的周报表")])
    sheet = workbook[LEDGER_SHEET]
    lines = sheet.iter_rows(min_row=1, max_col=len(LEDGER_HEADERS), values_only=True)
    problems = _check_headers(next(lines, None))
    if problems:
        raise UploadRefused(problems)
    rows, seen = [], {}
    for number, values in enumerate(lines, 2):
        if all(v is None or _text_cell(v) == "" for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise UploadRefused(
                [Problem(f"超过 {MAX_ROWS} 行上限，请只上传本单位的周报表", LEDGER_SHEET, number)]
            )
        row, row_problems = _parse_row(number, values)
        problems.extend(row_problems)
        if row.assignment_id is not None:
            if row.assignment_id in seen:
                problems.append(
                    _at(number, "台账编号", f"与第 {seen[row.assignment_id]} 行重复（同一台账只能出现一次）")
                )
            seen.setdefault(row.assignment_id, number)
        rows.append(row)
    if not rows:
        raise UploadRefused([Problem("表中没有台账行", LEDGER_SHEET, 2)])
    dated = [row for row in rows if row.week]
    if dated:
        first = dated[0]
        problems += [
            _at(row.row, "报送周", f"报送周 {row.week} 与本表第 {first.row} 行的 {first.week} 不一致")
            for row in dated
            if row.week != first.week
        ]
    return rows, problems


def _check_scope(rows: list[_Row], user) -> list[Problem]:
    """Unknown rows and other units' rows (of every row whose 台账编号 could be read)."""
    ids = [row.assignment_id for row in rows if row.assignment_id is not None]
    units = dict(Assignment.objects.filter(pk__in=ids).values_list("pk", "unit__name"))
    visible = set(Assignment.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    problems = []
    for row in rows:
        if row.assignment_id is None:
            continue
        if row.assignment_id not in units:
            problems.append(_at(row.row, "台账编号", f"台账编号 {row.assignment_id} 不存在"))
        elif row.assignment_id not in visible:
            problems.append(
                _at(row.row, "责任单位", f"该行是{units[row.assignment_id]}的台账，不属于本单位，不能上传")
            )
    return problems


def _check_not_frozen(rows: list[_Row]) -> list[Problem]:
    """A sheet of a week the weekly dispatch froze is refused, at its first 报送周 cell."""
    first = next((row for row in rows if row.week), None)
    if first is None or not WeeklySnapshot.objects.filter(week=first.week).exists():
        return []
    return [
        _at(
            first.row,
            "报送周",
            f"{first.week} 已于周调度时冻结，不能再报送该周的进展，请下载本周的表格报送",
        )
    ]


def _changes(rows: list[_Row], user, week: str) -> list[Change]:
    """The rows that differ from the live ledger's week; stale and incomplete ones refused."""
    ids = [row.assignment_id for row in rows]
    current = {
        r.assignment_id: r for r in ledger_rows(week, user, today=local_today(), ids=ids, snapshots=False)
    }
    changes, problems = [], []
    for row in rows:
        now = current[row.assignment_id]
        if row.text == (now.week_text or "").strip() and row.percent == now.percent:
            continue
        if row.version != now.version:
            problems.append(
                _at(
                    row.row,
                    "版本",
                    f"任务{now.task_number}（{now.unit}）的台账在下载后已被他人更新，请重新下载后填写",
                )
            )
            continue
        if not row.text:
            problems.append(_at(row.row, "本周进展", "完成比例有变化，请填写本周进展"))
            continue
        changes.append(
            Change(
                row=row.row,
                assignment_id=row.assignment_id,
                version=row.version,
                task_number=now.task_number,
                unit=now.unit,
                week=week,
                percent_before=now.percent,
                percent_after=row.percent,
                text_before=now.week_text or "",
                text_after=row.text,
            )
        )
    if problems:
        raise UploadRefused(problems[:MAX_PROBLEMS])
    return changes


def _file_changes(changes: list[Change], user):
    for change in changes:
        try:
            submit_report(
                change.assignment_id,
                actor=user,
                week=change.week,
                text=change.text_after,
                percent=change.percent_after,
                expected_version=change.version,
            )
        except LedgerError as exc:
            header = FIELD_COLUMNS.get(exc.field, "版本" if exc.status_code == 412 else "台账编号")
            raise UploadRefused([_at(change.row, header, exc.message)]) from None


def _order(problem: Problem):
    return problem.row or 0, problem.column or ""


def process_upload(upload, *, user, dry_run: bool) -> Outcome:
    """Check the file and file its changes in one transaction; a dry run rolls it back.

    Liaisons preview and apply; the office (and leaders) may preview a sheet a
    liaison sent them, to check it, without the services being run. Raises
    ``UploadRefused`` (400) with located problems, or ``Forbidden``.
    """
    role = role_of(user)
    if role is None:
        raise Forbidden("无权上传周报表")
    may_file = bool(can(user, "report"))
    if not may_file and not dry_run:
        raise Forbidden(f"进展由本单位联络员上传报送；您的角色（{Role(role).label}）只能预览核对")
    data = read_bytes(upload)
    sha256 = hashlib.sha256(data).hexdigest()
    workbook = _open_workbook(data)
    try:
        rows, problems = _read_rows(workbook)
    finally:
        workbook.close()
    problems += _check_scope(rows, user) + _check_not_frozen(rows)
    if problems:
        raise UploadRefused(sorted(problems, key=_order)[:MAX_PROBLEMS])
    week = rows[0].week
    with transaction.atomic():
        changes = _changes(rows, user, week)
        if may_file:
            _file_changes(changes, user)
        if dry_run:
            transaction.set_rollback(True)
    return Outcome(sha256=sha256, week=week, rows=len(rows), changes=changes, applied=not dry_run)


# --- preview, then apply without sending the file again ---------------------------------
# A preview keeps the file under the uploader's id and its SHA-256; applying with that
# token reads it back, checks it all again, and removes it once filed.

TOKEN_RE = re.compile(r"^[0-9a-f]{64}$")


def _staged_name(user, token: str) -> str:
    return f"report-uploads/{user.pk}/{token}.xlsx"


def stage(data: bytes, user) -> str:
    token = hashlib.sha256(data).hexdigest()
    name = _staged_name(user, token)
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(data))
    return token


def staged(token: str, user) -> bytes:
    token = (token or "").strip().lower()
    name = _staged_name(user, token)
    if not TOKEN_RE.match(token) or not default_storage.exists(name):
        raise InvalidInput("预览已失效或不属于您，请重新上传周报表", field="token")
    with default_storage.open(name, "rb") as stored:
        return stored.read()


def unstage(token: str, user) -> None:
    if TOKEN_RE.match(token or ""):
        default_storage.delete(_staged_name(user, token))
