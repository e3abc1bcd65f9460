"""Long work built in the background by a worker, with progress (``ExportJob``): the weekly
workbook here, the monthly bulletin's draft in ``dispatch.bulletin`` (one job model, one
progress mechanism, one page for both).

A page starts a job (``start_weekly``; any kind through ``start``) for parameters it has checked
against the user's scope; the job is written with an outbox message in the same transaction, so
the worker's task (``reports.tasks.build_export_task``; ``dispatch.tasks.build_bulletin_task``)
runs after commit. The worker builds the file as the requester (``build`` with the kind's
builder), writing its progress (rows done of the total) with one UPDATE every so many rows
(``progress_writer``), stores the file under ``MEDIA_ROOT/exports/`` and marks the job done;
any error marks it failed with a message in Chinese. Starting and finishing are audited. When a job is done the requester's older
jobs for the same kind and parameters are deleted with their files: the last one is kept.

Only the requester, or the office (``read_export`` in the policy), may see a job; to anyone
else it does not exist (404).
"""

import functools
import logging
import tempfile

from django.conf import settings
from django.core.files import File
from django.db import transaction

from outbox.services import enqueue
from reports.models import ExportJob, ExportKind, ExportStatus
from reports.weekly import scope_label, write_weekly_workbook
from tasks import clock
from tasks.models import Assignment, Plan, Unit
from tasks.policy import can
from tasks.services import audit
from tasks.services.errors import LedgerError, NotFound

log = logging.getLogger(__name__)

TASK = "reports.build_export"
RECENT = 20  # jobs shown on the user's list
OPEN = (ExportStatus.QUEUED, ExportStatus.RUNNING)


def background_rows() -> int:
    """Above this many rows a page builds the weekly workbook in the background (``EXPORT_BACKGROUND_ROWS``)."""
    return getattr(settings, "EXPORT_BACKGROUND_ROWS", 2000)


def weekly_row_count(user, unit=None, plan=None) -> int:
    """How many rows the weekly workbook's 整改台账 will have for ``user`` (one COUNT)."""
    rows = Assignment.objects.visible_to(user)
    if unit is not None:
        rows = rows.filter(unit=unit)
    if plan is not None:
        rows = rows.filter(task__plan=plan)
    return rows.count()


def _key(kind: str, params: dict) -> str:
    return f"{kind}:{params['week']}:{params.get('unit') or '-'}:{params.get('plan') or '-'}"


def start_weekly(user, week: str, unit=None, plan=None) -> tuple[ExportJob, bool]:
    """Queue the weekly workbook for ``user`` (parameters already checked); the open job
    for the same parameters if there is one. Returns ``(job, created)``."""
    params = {"week": week, "unit": unit.pk if unit else None, "plan": plan.pk if plan else None}
    label = f"{week}，{scope_label(user, unit)}" + (f"，{plan.title}" if plan is not None else "")
    return start(
        user,
        ExportKind.WEEKLY,
        params,
        key=_key(ExportKind.WEEKLY, params),
        label=label,
        total=lambda: weekly_row_count(user, unit, plan),
        task=TASK,
    )


def start(user, kind: str, params: dict, *, key: str, label: str, total, task: str) -> tuple[ExportJob, bool]:
    """Queue a job of ``kind`` for ``user``, built by the worker's ``task`` (an outbox message, sent
    after commit), audited; the open job with the same ``key`` if there is one. ``total``: the
    rows to do, or a callable counting them (not called when a job is open). Returns ``(job, created)``."""
    with transaction.atomic():
        running = ExportJob.objects.filter(requester=user, key=key, status__in=OPEN).first()
        if running is not None:
            return running, False
        job = ExportJob.objects.create(
            requester=user,
            kind=kind,
            params=params,
            key=key,
            label=label,
            total=total() if callable(total) else total,
        )
        enqueue(task, job.pk, key=f"export:{job.pk}")
        audit.record(
            actor=user,
            action="start_export",
            instance=job,
            before=None,
            after=audit.snapshot(job, ["kind", "params", "status", "total"]),
            note=f"后台生成{job.get_kind_display()}：{label}",
        )
    return job, True


def visible_job(user, pk) -> ExportJob:
    """The job if ``user`` may see it (its requester, or the office); otherwise NotFound."""
    job = ExportJob.objects.filter(pk=pk).first()
    if job is None or (job.requester_id != user.pk and not can(user, "read_export")):
        raise NotFound("导出任务不存在或无权查看")
    return job


def recent_jobs(user):
    """The user's last jobs, newest first (one query)."""
    return ExportJob.objects.filter(requester=user).defer("params")[:RECENT]


def _set(job_id, **fields):
    ExportJob.objects.filter(pk=job_id).update(**fields)


def progress_writer(job_id: int):
    """The builders' progress callback: ``report(done)`` writes the rows done (one UPDATE a call)."""
    return lambda done: _set(job_id, progress=done)


def build(job_id: int, builder=None) -> str:
    """Build the job's file (the worker's task) with ``builder(job)`` (the weekly workbook's by
    default), which returns the finished job's fields. Safe to run twice: a finished job is left
    as it is."""
    claimed = ExportJob.objects.filter(pk=job_id, status__in=OPEN).update(
        status=ExportStatus.RUNNING, progress=0, error=""
    )
    if not claimed:
        return "skipped"
    job = ExportJob.objects.select_related("requester").get(pk=job_id)
    try:
        done = (builder or _build_weekly)(job)
    except Exception as exc:  # any failure is told to the requester, then logged
        log.exception("export #%s failed", job_id)
        _finish(job, status=ExportStatus.FAILED, error=_failure(exc)[:500], finished_at=clock.now())
        return "failed"
    _finish(job, **done)
    return "done"


def _finish(job: ExportJob, **fields):
    """Mark the job finished, drop the older files it replaces (when done), audit both, in one transaction."""
    with transaction.atomic():
        _set(job.pk, **fields)
        replaced = _keep_last(job) if fields["status"] == ExportStatus.DONE else 0
        audit.record(
            actor=None,
            action="finish_export",
            instance=job,
            before={"status": ExportStatus.RUNNING},
            after={key: fields[key] for key in ("status", "error", "progress", "file") if key in fields},
            note=f"{job.label}：{ExportStatus(fields['status']).label}"
            + (f"，替换旧文件 {replaced} 个" if replaced else ""),
        )


class ExportFailed(Exception):
    """A failure to tell the requester as it is (its message is Chinese)."""


def _failure(exc: Exception) -> str:
    if isinstance(exc, ExportFailed):
        return str(exc)
    if isinstance(exc, LedgerError):  # the rule that refused it, as the page would have said it
        return f"生成失败：{exc.message}"
    return "生成失败：系统错误，请稍后重试或联系省督察办"


def _build_weekly(job: ExportJob):
    params = job.params
    unit = plan = None
    if params.get("unit"):
        unit = Unit.objects.filter(pk=params["unit"]).first()
        if unit is None:
            raise ExportFailed("生成失败：责任单位已不存在")
    if params.get("plan"):
        plan = Plan.objects.filter(pk=params["plan"]).first()
        if plan is None:
            raise ExportFailed("生成失败：整改方案已不存在")
    user = job.requester
    total = weekly_row_count(user, unit, plan)
    _set(job.pk, total=total)
    with tempfile.TemporaryFile() as spool:
        report = write_weekly_workbook(
            spool,
            week=params["week"],
            user=user,
            unit=unit,
            plan=plan,
            progress=progress_writer(job.pk),
        )
        spool.seek(0)
        job.file.save(f"weekly-{job.pk}-{params['week']}.xlsx", File(spool), save=False)
    return {
        "file": job.file.name,
        "filename": f"整改台账周报-{params['week']}-{report.scope}.xlsx",
        "status": ExportStatus.DONE,
        "progress": report.rows,
        "total": max(total, report.rows),
        "finished_at": clock.now(),
    }


def _keep_last(job: ExportJob) -> int:
    """Delete the requester's older finished jobs for the same parameters, and their files; how many."""
    older = ExportJob.objects.filter(
        requester_id=job.requester_id, key=job.key, status__in=(ExportStatus.DONE, ExportStatus.FAILED)
    ).exclude(pk=job.pk)
    replaced = list(older.filter(pk__lt=job.pk).only("id", "file"))
    for old in replaced:
        if old.file:
            transaction.on_commit(functools.partial(old.file.storage.delete, old.file.name))
        old.delete()
    return len(replaced)
