"""A task list as table rows -> ParsedPlan, through the one column mapping (columns.py) and the
text parser's own rules for units, officials, measures, dates and deadlines (``build_plan``).

A reader hands ``plan_from_rows`` its rows as (row number, [cell text]) and a function naming a
cell's place ("工作表“整改任务清单”第 5 行 F 列"). One row per task; a row holding only a
category ("一、关于…方面的问题") opens that category; an empty 问题类别 cell keeps the category
above (merged cells); an empty row is skipped."""

import re
from collections import Counter
from collections.abc import Callable, Iterable

from tasks.plan_parser import (
    _CATEGORY_RE,
    MEASURE_STYLES,
    ParsedCategory,
    ParsedPlan,
    PlanFormatError,
    Province,
    _add_measure_line,
    _cn_to_int,
    _Line,
    _TaskDraft,
    build_plan,
)
from tasks.plan_sources.columns import REQUIRED, column_key, label

HEADER_SEARCH_ROWS = 10
Where = Callable[[int, int | None], str]  # (row, column index or None) -> place


def find_header(rows: list[tuple[int, list[str]]], where: Where) -> tuple[int, dict[str, int]] | None:
    """(index in rows, {key: column}) of the first row naming every required column, or None."""
    for i, (row_no, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapping: dict[str, int] = {}
        for col, cell in enumerate(cells):
            key = column_key(cell)
            if key is None:
                continue
            if key in mapping:
                raise PlanFormatError(
                    row_no,
                    f"表头“{label(key)}”出现了两次（“{cells[mapping[key]]}”和“{cell}”）",
                    where(row_no, col),
                )
            mapping[key] = col
        if all(k in mapping for k in REQUIRED):
            return i, mapping
    return None


def header_problem(rows: list[tuple[int, list[str]]]) -> str:
    best = (
        max((sum(column_key(c) in REQUIRED for c in cells), cells) for _, cells in rows[:HEADER_SEARCH_ROWS])
        if rows
        else (0, [])
    )
    missing = [label(k) for k in REQUIRED if k not in {column_key(c) for c in best[1]}]
    return (
        f"找不到表头：前 {HEADER_SEARCH_ROWS} 行中没有一行同时写明 {'、'.join(label(k) for k in REQUIRED)}"
        + (f"（最接近的一行缺少 {'、'.join(missing)}）" if best[0] else "")
    )


def _cell_lines(text: str, row_no: int, place: str) -> list[_Line]:
    return [_Line(row_no, s.strip(), place) for s in str(text).splitlines() if s.strip()]


def _number(text: str) -> int | None:
    s = re.sub(r"[\s（()）、.．]", "", text)
    if s.isdigit():
        return int(s)
    if s and all(ch in "一二三四五六七八九十百零〇两" for ch in s):
        return _cn_to_int(s)
    return None


def _category_title(text: str) -> str:
    m = _CATEGORY_RE.match(text.strip())
    return (m.group(2) if m else text).strip()


def plan_from_rows(
    rows: Iterable[tuple[int, list[str]]],
    *,
    where: Where,
    title: str,
    province: Province,
    year: int | None = None,
    max_rows: int = 2000,
    nowhere: str = "表格",
) -> ParsedPlan:
    rows = [(n, [("" if c is None else str(c)) for c in cells]) for n, cells in rows]
    header = find_header(rows, where)
    if header is None:
        raise PlanFormatError(rows[0][0] if rows else 1, header_problem(rows), nowhere)
    start, mapping = header
    header_row = rows[start][0]
    # a title line above the header ("山西省贯彻落实…清单") names the plan
    above = [c.strip() for _, cells in rows[:start] for c in cells if c.strip()]
    title = above[0] if above else title

    categories: list[ParsedCategory] = []
    titles: dict[str, int] = {}
    drafts: list[_TaskDraft] = []
    current_category = 0
    in_category = 0
    scheme = None
    for row_no, cells in rows[start + 1 :]:
        values = {key: (cells[col].strip() if col < len(cells) else "") for key, col in mapping.items()}
        filled = [c.strip() for c in cells if c.strip()]
        if not filled:
            continue
        if len(drafts) >= max_rows:
            raise PlanFormatError(row_no, f"任务超过 {max_rows} 行，请分成几个文件导入", where(row_no, None))
        if (
            len(set(filled)) == 1
            and not any(values.get(k) for k in ("measures", "responsible", "deadline"))
            and (_CATEGORY_RE.match(filled[0]) or not values.get("problem"))
        ):
            # a category heading row (often one merged cell across the table)
            heading = filled[0]
            current_category = titles.setdefault(_category_title(heading), len(titles) + 1)
            if current_category > len(categories):
                categories.append(ParsedCategory(current_category, _category_title(heading)))
            in_category = 0
            continue
        if values.get("category"):
            name = _category_title(values["category"])
            number = titles.setdefault(name, len(titles) + 1)
            if number > len(categories):
                categories.append(ParsedCategory(number, name))
            if number != current_category:
                in_category = 0
            current_category = number
        if not current_category:
            titles.setdefault("整改任务", 1)
            categories.append(ParsedCategory(1, "整改任务"))
            current_category = 1
        if "number" in mapping:
            col = mapping["number"]
            n = _number(values["number"])
            run_on, restart = len(drafts) + 1, in_category + 1
            allowed = {run_on, restart} if scheme is None else {run_on if scheme == "global" else restart}
            if n not in allowed:
                want = restart if scheme == "restart" else run_on
                got = values["number"] or "空"
                raise PlanFormatError(row_no, f"序号应为 {want}，实为“{got}”", where(row_no, col))
            if scheme is None and run_on != restart:
                scheme = "global" if n == run_on else "restart"
        in_category += 1
        label_ = f"（第 {len(drafts) + 1} 项）"
        draft = _TaskDraft(
            label_, row_no, current_category, {}, [], first=_Line(row_no, "", where(row_no, None))
        )
        for key, col in mapping.items():
            if key in ("number", "category", "note"):
                continue
            lines = _cell_lines(values[key], row_no, where(row_no, col))
            if key == "measures":
                _read_measures(draft, lines)
            elif lines:
                draft.fields[key] = lines
        draft.fields.setdefault("problem", [])
        drafts.append(draft)
    if not drafts:
        raise PlanFormatError(header_row, "表头下没有任何整改任务", where(header_row, None))
    for c in categories:
        if not any(d.category == c.number for d in drafts):
            raise PlanFormatError(header_row, f"问题类别“{c.title}”下没有整改任务", nowhere)
    return build_plan(
        title=title,
        issuing_body="",
        issued_date=None,
        categories=categories,
        drafts=drafts,
        year=year or _most_named_year(drafts),
        province=province,
    )


def _read_measures(draft: _TaskDraft, lines: list[_Line]) -> None:
    """Numbered inside the cell ("1.…\n2.…"), or one measure per line."""
    if not lines:
        return
    if any(style.match(lines[0].text) for style in MEASURE_STYLES.values()):
        for ln in lines:
            _add_measure_line(draft, ln, ("1.", "1、", "（1）", "（一）"))
    else:
        draft.measures = [[i, [ln]] for i, ln in enumerate(lines, 1)]


def _most_named_year(drafts) -> int | None:
    years = Counter(
        int(y)
        for d in drafts
        for lines in [*d.fields.values(), *(ls for _, ls in d.measures)]
        for ln in lines
        for y in re.findall(r"(\d{4})\s*年", ln.text)
    )
    return years.most_common(1)[0][0] if years else None
