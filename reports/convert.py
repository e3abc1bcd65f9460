"""Documents to PDF with LibreOffice headless (``soffice --convert-to pdf``).

``to_pdf(content, suffix)`` writes the document into a fresh temporary folder, runs ``soffice``
there (``run_soffice``) and returns the PDF's bytes. ``ConversionFailed`` (a Chinese message) when
LibreOffice is missing, fails or takes too long; the folder is removed either way.

``run_soffice`` gives each run a user profile of its own, so parallel conversions do not share one,
and a timeout (``SOFFICE_TIMEOUT``, seconds). LibreOffice fills an empty profile on its first
start (about a fifth of a conversion's time), so the profile of the process's first good run is
kept as a template (in a temporary folder, removed when the process exits) and later runs start
from a copy of it.
"""

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from django.conf import settings


class ConversionFailed(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


_template: Path | None = None  # the profile of this process's first good run, copied for later runs
_template_lock = threading.Lock()


def _keep_template(profile: Path) -> None:
    global _template
    with _template_lock:
        if _template is not None and _template.is_dir():
            return
        folder = Path(tempfile.mkdtemp(prefix="rectify-soffice-profile-"))
        try:
            shutil.copytree(profile, folder / "profile", symlinks=True)
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            return
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _template = folder / "profile"


def run_soffice(source: Path | list[Path], target: str, outdir: Path, *, profile: Path) -> None:
    """LibreOffice converts ``source`` (one file, or several in one run: LibreOffice starts once) to
    ``target`` (``pdf``, ``txt:Text``, a CSV filter…) into ``outdir``, with ``profile`` (a folder that
    does not exist yet) as its user profile; raises ``ConversionFailed`` when LibreOffice is missing,
    fails or takes longer than ``SOFFICE_TIMEOUT``."""
    sources = [source] if isinstance(source, Path) else list(source)
    program = soffice()
    if program is None:
        raise ConversionFailed("服务器未安装 LibreOffice，暂不能生成 PDF，请下载 Word 版")
    template = _template
    fresh = template is None or not template.is_dir()
    if not fresh:
        try:
            shutil.copytree(template, profile, symlinks=True)
        except OSError:  # the template went (a temporary folder cleaned): LibreOffice fills a new one
            shutil.rmtree(profile, ignore_errors=True)
            fresh = True
    process = subprocess.Popen(
        [
            program,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            *map(str, sources),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: a timeout stops LibreOffice's children too
    )
    try:
        returncode = process.wait(timeout=settings.SOFFICE_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise ConversionFailed("生成 PDF 超时，请稍后再试或下载 Word 版")
    if returncode != 0:
        raise ConversionFailed("生成 PDF 失败，请稍后再试或下载 Word 版")
    if fresh:
        _keep_template(profile)


def convert(content: bytes, suffix: str, target: str = "pdf") -> bytes:
    """``content`` (a file ending in ``suffix``) converted by LibreOffice to ``target`` (pdf, txt…)."""
    with tempfile.TemporaryDirectory(prefix="rectify-convert-") as folder:
        root = Path(folder)
        source = root / f"document{suffix}"
        source.write_bytes(content)
        run_soffice(source, target, root / "out", profile=root / "profile")
        produced = root / "out" / f"document.{target.split(':')[0]}"
        if not produced.exists():
            raise ConversionFailed("生成 PDF 失败，请稍后再试或下载 Word 版")
        return produced.read_bytes()


def to_pdf(content: bytes, suffix: str = ".docx") -> bytes:
    return convert(content, suffix, "pdf")
