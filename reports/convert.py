"""Documents to PDF with LibreOffice headless (``soffice --convert-to pdf``).

``to_pdf(content, suffix)`` writes the document into a fresh temporary folder, runs ``soffice``
there with its own user profile (so parallel conversions do not share one) and a timeout
(``SOFFICE_TIMEOUT``, seconds), and returns the PDF's bytes. ``ConversionFailed`` (a Chinese
message) when LibreOffice is missing, fails or takes too long; the folder is removed either way.
"""

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings


class ConversionFailed(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(content: bytes, suffix: str, target: str = "pdf") -> bytes:
    """``content`` (a file ending in ``suffix``) converted by LibreOffice to ``target`` (pdf, txt…)."""
    program = soffice()
    if program is None:
        raise ConversionFailed("服务器未安装 LibreOffice，暂不能生成 PDF，请下载 Word 版")
    with tempfile.TemporaryDirectory(prefix="rectify-convert-") as folder:
        root = Path(folder)
        source = root / f"document{suffix}"
        source.write_bytes(content)
        process = subprocess.Popen(
            [
                program,
                f"-env:UserInstallation={(root / 'profile').as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                target,
                "--outdir",
                str(root / "out"),
                str(source),
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
        produced = root / "out" / f"document.{target.split(':')[0]}"
        if returncode != 0 or not produced.exists():
            raise ConversionFailed("生成 PDF 失败，请稍后再试或下载 Word 版")
        return produced.read_bytes()


def to_pdf(content: bytes, suffix: str = ".docx") -> bytes:
    return convert(content, suffix, "pdf")
