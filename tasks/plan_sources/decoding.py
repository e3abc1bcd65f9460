"""Plan text as bytes -> str: UTF-8, UTF-16 (with or without a byte-order mark) or GBK/GB18030,
what Notepad and WPS save on Chinese Windows; or the encoding the office names."""

import codecs

from tasks.plan_parser import PlanFormatError


def _line_of(data: bytes, offset: int, encoding: str) -> int:
    """1-based line of a byte offset."""
    return data[:offset].decode(encoding, errors="replace").count("\n") + 1


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: text in UTF-8 or GBK holds no NUL byte, UTF-16 holds one in
    every ASCII character (digits, spaces, line ends), all on the same side of each pair."""
    sample = data[:20000]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if even + odd < 8 or min(even, odd) > (even + odd) // 10:
        return None
    return "utf-16-le" if odd > even else "utf-16-be"


def decode_plan_text(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding used). With ``encoding`` that one is used strictly; else detected."""
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise PlanFormatError(
                1, f"不认识的编码“{encoding}”（可用 utf-8、gbk、gb18030、utf-16）"
            ) from None
        if name == "utf-8" and data.startswith(codecs.BOM_UTF8):
            name = "utf-8-sig"
        try:
            return data.decode(name), name
        except UnicodeDecodeError as exc:
            raise PlanFormatError(
                _line_of(data, exc.start, name), f"这一行不是 {encoding} 编码的文字，请检查 --encoding"
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif guessed := _utf16_without_bom(data):
        candidates = [guessed]
    else:
        candidates = ["utf-8", "gb18030"]
    errors = []
    for name in candidates:
        try:
            return data.decode(name), name
        except UnicodeDecodeError as exc:
            errors.append((name, exc))
    name, exc = errors[0]
    raise PlanFormatError(
        _line_of(data, exc.start, name),
        "无法识别文件的编码（不是 UTF-8、UTF-16，也不是 GBK/GB18030 文字）；"
        "请另存为 UTF-8 文本，或用 --encoding 指明编码",
    )
