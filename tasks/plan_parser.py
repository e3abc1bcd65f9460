"""Parse the text dump of a rectification plan (整改方案) into plain data.

Standard library only. ``parse_plan`` returns the whole plan or raises
``PlanFormatError`` naming a 1-based input line -- never partial data.

Layout (fixtures/plans/shanxi-2017.txt): main text, a line "附件：…", then
category headers "一、关于…方面的问题" (an introduction paragraph after a
header is ignored) and tasks "（N）problem", "整改目标：", "整改措施：" with
numbered measures, "责任单位：", optional "配合单位：", "责 任 人：",
"整改时限："/"整改期限：" (trailing fields in any order). Tasks are numbered
1.. in order; the text's numerals may run on across categories (as in the
Shanxi text: （十九） opens category 2) or restart at （一） per category.
Missing 整改目标/整改措施/责任单位/责任人/整改时限 is an error at the task's
first line; so are numbering gaps, empty categories, and category/task
counts contradicting the main text ("四个方面…共分解为 60 个具体整改任务").

Cleaning: the PDF breaks lines mid-sentence with blank lines everywhere, so
lines are stripped and joined without a separator (whitespace runs -> one
space). Dropped: lines of 1-3 digits (page numbers), web addresses. A lone
"2"/"3" after a line ending in a Latin letter is a superscript ("155km²").
A measure opens only at a line start with exactly the next number + "."/
"．"/"、" + text not starting with a digit unless a year ("1.2017 年底前"),
so "2018"/"年开展…", "1.25:1", "5.5 米" continue the sentence. Tasks and
categories also open only on the expected numeral. Unnumbered text right
after "整改措施：" (tasks 17, 18, 21, 22, 27, 38, 43, 49, 57, 59) is measure 1.

Units (kind): city = the 11 CITIES; "各市市委、市政府" -> all 11 in CITIES
order, "晋中、长治市委、市政府" -> 晋中市, 长治市. "各相关市委、市政府",
"相关市委、市政府", "有关市委、市政府" -> one unit "各相关市" (other).
enterprise = name has 集团/公司/煤矿/矿井/电厂/企业 (so 省电力公司, 各电力企业
集团); department = starts with 省/山西 or ends in 厅/委/局/办/部门 (省直部门,
山西能监办); anything else other. De-duplicated, text order kept.

Officials: a 责任人 line starting with a unit and a space ("晋中 胡玉亭 王 成",
"省林业厅 任建中", "焦煤集团 武华太") opens a group, other lines continue it;
officials_text = groups joined by "；". Two single characters make one name
("王 成" -> 王成). Parts without personal names in a line saying 负责/同志/
领导 are roles ("各市市委、市政府主要负责同志"): text only, no official, and
the units they name are not candidates below. A name without a prefix gets:
the only remaining responsible unit; else the unit the rest of the plan gives
the same name (prefix or single-unit task: 武华太 -> 焦煤集团, 周建春 -> 省国土厅,
武宏文 -> 大同市); else the unclaimed responsible units in order (常宪文 ->
华电煤业集团锦兴能源公司, 潘军峰 -> 省水利厅); else None.

Milestones: 《…》 titles are removed, then "Y年M月D日" -> that day;
"Y年M月底/末/前/份/下旬" -> month end (上旬 10th, 中旬 20th; typo "6 底前" =
6 月底前); "Y年底/末/内/前" -> 31 Dec ("2020 年前" read as "by 2020"); "Y年M月"
or "Y年" followed by a commitment verb (完成 实现 建成 全面 基本 开展 实施 压减
启动 开工 投运 投入 具备) -> end of month/year; "Y1年-Y2年" -> 31 Dec Y2. A month,
年底 or 年内 without a year takes the last year named before it, else
``default_year`` (parse_plan: the year named most in the main text, 2017).
References ("2013 年以来", "2016 年 1 月备案") and durations ("1-2 年内",
"半年内") are not milestones.

Deadlines: due_date = latest date the text commits to; text deferring to the
measures ("按具体措施时限完成", "阳煤集团按照整改措施，分步实施…") also counts
their milestones. Kind, first match: phased (分年度/分步/分阶段/分批/持续推进/
依次序/逐年/逐步, a year range, or dates in two years -- task 33); dated (any
date, so "2017年底前完成，长期坚持" is dated); else immediate_ongoing.

Plan: title = first lines up to one ending in 方案/意见/…; issuing body and
date from a signature block (中共…/…人民政府 lines, date line) at the end or
head of the main text. The Shanxi text has none: issuing_body falls back to
the "山西省委、省政府" of the preamble, issued_date is None.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

CITIES = (
    "太原市",
    "大同市",
    "朔州市",
    "忻州市",
    "吕梁市",
    "晋中市",
    "阳泉市",
    "长治市",
    "晋城市",
    "临汾市",
    "运城市",
)
_CITY_SHORT = {c[:-1]: c for c in CITIES}
RELEVANT_CITIES = "各相关市"


class PlanFormatError(ValueError):
    """The text does not have the expected structure. ``line`` is 1-based."""

    def __init__(self, line: int, detail: str):
        self.line = line
        self.message = f"第 {line} 行：{detail}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ParsedUnit:
    name: str
    kind: str  # 'city' | 'department' | 'enterprise' | 'other'


@dataclass(frozen=True)
class ParsedOfficial:
    name: str
    unit: str | None


@dataclass(frozen=True)
class ParsedMeasure:
    number: int
    text: str
    milestones: tuple[dt.date, ...]


@dataclass(frozen=True)
class ParsedCategory:
    number: int
    title: str


@dataclass(frozen=True)
class ParsedTask:
    number: int
    category: int
    problem: str
    goal: str
    measures: tuple[ParsedMeasure, ...]
    responsible_units: tuple[ParsedUnit, ...]
    cooperating_units: tuple[ParsedUnit, ...]
    responsible_text: str
    cooperating_text: str
    officials: tuple[ParsedOfficial, ...]
    officials_text: str
    deadline_text: str
    due_date: dt.date | None
    deadline_kind: str  # 'immediate_ongoing' | 'dated' | 'phased'
    line: int


@dataclass(frozen=True)
class ParsedPlan:
    title: str
    issuing_body: str
    issued_date: dt.date | None
    categories: tuple[ParsedCategory, ...]
    tasks: tuple[ParsedTask, ...]


# --------------------------------------------------------------------------- numerals

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def _cn_to_int(s: str) -> int:
    total, cur = 0, 0
    for ch in s:
        if ch in _CN_DIGITS:
            cur = _CN_DIGITS[ch]
        elif ch in "十百":
            total += (cur or 1) * (10 if ch == "十" else 100)
            cur = 0
    return total + cur


def _int_to_cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    if n < 10:
        return digits[n]
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


# --------------------------------------------------------------------------- cleaning


@dataclass(frozen=True)
class _Line:
    no: int
    text: str


_URL_RE = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_PAGE_RE = re.compile(r"^\d{1,3}$")
_SUPERSCRIPT = {"2": "²", "3": "³"}


def _clean_lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    for no, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        s = _URL_RE.sub("", raw).strip()
        if not s:
            continue
        if _PAGE_RE.match(s):
            if s in _SUPERSCRIPT and out and re.search(r"[A-Za-z]$", out[-1].text):
                out[-1] = _Line(out[-1].no, out[-1].text + _SUPERSCRIPT[s])
            continue  # otherwise a page number
        out.append(_Line(no, s))
    return out


def _join(parts) -> str:
    return re.sub(r"\s+", " ", "".join(p.text if isinstance(p, _Line) else p for p in parts)).strip()


# --------------------------------------------------------------------------- dates

_VERB = "完成|实现|建成|全面|基本|开展|实施|压减|启动|开工|投运|投入|具备"
_Q = r"底|末|前|份|[上中下]旬"
_DATE_RE = re.compile(
    rf"""(?<![\d.])(?:
      (?P<ymd_y>\d{{4}})\s*年\s*(?P<ymd_m>\d{{1,2}})\s*月\s*(?P<ymd_d>\d{{1,2}})\s*日
    | (?P<ymq_y>\d{{4}})\s*年\s*(?P<ymq_m>\d{{1,2}})\s*(?:月\s*(?P<ymq_q>{_Q})|(?P<ymq_b>底))
    | (?P<ymv_y>\d{{4}})\s*年\s*(?P<ymv_m>\d{{1,2}})\s*月\s*(?={_VERB})
    | (?P<rng_a>\d{{4}})\s*年?\s*[-－—–~～至到]\s*(?P<rng_b>\d{{4}})\s*年
    | (?P<yq_y>\d{{4}})\s*(?:年\s*)?(?:底|末)|(?P<yq2_y>\d{{4}})\s*年\s*(?:内|前)
    | (?P<yv_y>\d{{4}})\s*年\s*(?={_VERB})
    | (?P<y_y>\d{{4}})\s*年
    | (?P<md_m>\d{{1,2}})\s*月\s*(?P<md_d>\d{{1,2}})\s*日
    | (?P<mq_m>\d{{1,2}})\s*(?:月\s*(?P<mq_q>{_Q})|(?P<mq_b>底))
    | (?P<mv_m>\d{{1,2}})\s*月\s*(?={_VERB})
    )|(?P<bare>年(?:底|内|末))""",
    re.VERBOSE,
)
_YEAR_RANGE_RE = re.compile(r"\d{4}\s*年?\s*[-－—–~～至到]\s*\d{4}\s*年")


def _month_date(year: int, month: int, qualifier: str | None) -> dt.date | None:
    if not 1 <= month <= 12:
        return None
    day = {"上旬": 10, "中旬": 20}.get(qualifier or "", calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def parse_milestones(text: str, default_year: int | None = None) -> tuple[dt.date, ...]:
    """Dates a text commits to, sorted and unique (rules in the module docstring)."""
    text = re.sub(r"《[^》]*》", "", text)
    year = default_year  # the year a month without its own year belongs to
    found: set[dt.date] = set()
    for m in _DATE_RE.finditer(text):
        g = m.groupdict()
        date = None
        try:
            if g["ymd_y"]:
                year = int(g["ymd_y"])
                date = dt.date(year, int(g["ymd_m"]), int(g["ymd_d"]))
            elif g["ymq_y"]:
                year = int(g["ymq_y"])
                date = _month_date(year, int(g["ymq_m"]), g["ymq_q"])
            elif g["ymv_y"]:
                year = int(g["ymv_y"])
                date = _month_date(year, int(g["ymv_m"]), None)
            elif g["rng_b"]:
                year = int(g["rng_b"])
                date = dt.date(year, 12, 31)
            elif g["yq_y"] or g["yq2_y"] or g["yv_y"]:
                year = int(g["yq_y"] or g["yq2_y"] or g["yv_y"])
                date = dt.date(year, 12, 31)
            elif g["y_y"]:
                year = int(g["y_y"])  # a reference ("2013 年以来"): only sets the year
            elif year is None:
                continue
            elif g["md_m"]:
                date = dt.date(year, int(g["md_m"]), int(g["md_d"]))
            elif g["mq_m"] or g["mv_m"]:
                date = _month_date(year, int(g["mq_m"] or g["mv_m"]), g["mq_q"])
            elif g["bare"]:
                before = text[: m.start()].rstrip()
                # "1-2 年内" is a duration, "去年底"/"每年底" are not this plan's year
                if before and (before[-1].isdigit() or before[-1] in "去明前每当半一二三两四五六七八九十几"):
                    continue
                date = dt.date(year, 12, 31)
        except ValueError:
            date = None  # impossible calendar date: not a milestone
        if date:
            found.add(date)
    return tuple(sorted(found))


_PHASED_RE = re.compile(r"分年度|分步|分阶段|分批|持续推进|依次序|逐年|逐步")
_DEFER_RE = re.compile(r"按(?:照)?(?:具体|整改)?措施")


def parse_deadline(text: str, measures=()) -> tuple[dt.date | None, str]:
    """(due_date, deadline_kind) for an 整改时限 text; ``measures`` are ParsedMeasure (or dates)."""
    dates = list(parse_milestones(text))
    committed = list(dates)
    if _DEFER_RE.search(text):
        for m in measures:
            committed.extend([m] if isinstance(m, dt.date) else m.milestones)
    due = max(committed) if committed else None
    if _PHASED_RE.search(text) or _YEAR_RANGE_RE.search(text) or len({d.year for d in dates}) > 1:
        return due, "phased"
    return due, ("dated" if due else "immediate_ongoing")


# --------------------------------------------------------------------------- units


def unit_kind(name: str) -> str:
    if name in CITIES:
        return "city"
    if re.search(r"集团|公司|煤矿|矿井|电厂|企业", name):
        return "enterprise"
    if name.startswith(("省", "山西")) or re.search(r"(厅|委|局|办|部门)$", name):
        return "department"
    return "other"


def _unit(name: str) -> ParsedUnit:
    return ParsedUnit(name, unit_kind(name))


def _parse_units(text: str) -> tuple[ParsedUnit, ...]:
    flat = re.sub(r"\s+", "", text).replace("市委、市政府", "市委市政府")
    units: list[ParsedUnit] = []
    for item in re.split(r"[，,；;、]", flat):
        if not item:
            continue
        m = re.fullmatch(r"(.*?)(?:市委市政府|市委|市政府)", item)
        if m:
            prefix = m.group(1)
            if prefix in ("各市", "全省各市"):
                units.extend(_unit(c) for c in CITIES)
            elif prefix in ("相关", "各相关", "有关", "各有关"):
                units.append(ParsedUnit(RELEVANT_CITIES, "other"))
            else:
                units.append(_unit(prefix if prefix.endswith("市") else prefix + "市"))
        else:
            units.append(_unit(_CITY_SHORT.get(item, item)))
    return tuple(dict.fromkeys(units))


# --------------------------------------------------------------------------- officials

_ROLE_RE = re.compile(r"负责|同志|领导")
_ROLE_SUFFIX_RE = re.compile(r"(?:主要|分管)?(?:负责同志|负责人|领导同志|领导)$")
_NAME_RE = re.compile(r"[\u4e00-\u9fff·]{2,4}")
_NAME_PART_RE = re.compile(r"[\u4e00-\u9fff·]{1,4}")


def _prefix_unit(token: str, known: tuple[ParsedUnit, ...]) -> str | None:
    """The unit a leading token of a 责任人 line names, if it names one."""
    if token in CITIES or token in _CITY_SHORT:
        return _CITY_SHORT.get(token, token)
    if any(u.name == token for u in known):
        return token
    if len(token) >= 4 and (token.startswith("省") or unit_kind(token) == "enterprise"):
        return token
    return None


def _join_names(tokens: list[str]) -> list[str] | None:
    """PDF padding splits two-character names ("王 成"); None if not all names."""
    names, i = [], 0
    while i < len(tokens):
        cur = tokens[i]
        i += 1
        if len(cur) == 1 and i < len(tokens) and len(tokens[i]) <= 2:
            cur += tokens[i]
            i += 1
        if not _NAME_RE.fullmatch(cur):
            return None
        names.append(cur)
    return names


@dataclass
class _OfficialsDraft:
    text: str
    named: list[tuple[str, str | None]]  # (name, unit from a prefix or None)
    role_units: set[str]


def _parse_officials(lines: list[_Line], known: tuple[ParsedUnit, ...]) -> _OfficialsDraft:
    groups: list[list] = []  # [first line no, text]
    for ln in lines:
        toks = ln.text.split()
        opens = len(toks) > 1 and _prefix_unit(toks[0], known)
        if groups and not opens:
            # a wrapped line: keep a space only between two runs of names
            prev = groups[-1][1]
            names_meet = all(_NAME_PART_RE.fullmatch(t) for t in prev.split()[-1:] + toks)
            groups[-1][1] = prev + (" " if names_meet else "") + ln.text
        else:
            groups.append([ln.no, ln.text])
    draft = _OfficialsDraft("；".join(g[1] for g in groups), [], set())
    for no, text in groups:
        has_role = bool(_ROLE_RE.search(text))
        for seg in filter(None, (s.strip() for s in re.split(r"[，,；;]", text))):
            toks = seg.split() if has_role else re.split(r"[\s、]+", seg)  # "张三、李四" lists names too
            unit = _prefix_unit(toks[0], known) if len(toks) > 1 else None
            names = _join_names(toks[1:] if unit else toks)
            if names is None:
                if not has_role:
                    raise PlanFormatError(no, f"无法识别的责任人“{seg}”")
                draft.role_units.update(u.name for u in _parse_units(_ROLE_SUFFIX_RE.sub("", seg)))
                continue
            draft.named.extend((n, unit) for n in names)
    return draft


def _resolve_officials(drafts, responsible) -> list[tuple[ParsedOfficial, ...]]:
    """Give every name a unit (see module docstring); drafts/responsible are per task."""
    directory: dict[str, Counter] = {}

    def learn(name, unit):
        directory.setdefault(name, Counter())[unit] += 1

    def candidates(i):
        return [u.name for u in responsible[i] if u.name not in drafts[i].role_units]

    for i, d in enumerate(drafts):  # pass 1: what is unambiguous on its own
        cands = candidates(i)
        for name, unit in d.named:
            if unit or len(cands) == 1:
                learn(name, unit or cands[0])
    result = []
    for i, d in enumerate(drafts):  # pass 2
        cands = candidates(i)
        resolved = {}
        for name, unit in d.named:
            if unit or len(cands) == 1:
                resolved[name] = unit or cands[0]
            else:
                best = directory.get(name, Counter()).most_common(2)
                if best and (len(best) == 1 or best[0][1] > best[1][1]) and best[0][0] in cands:
                    resolved[name] = best[0][0]
        left = [n for n, _ in d.named if n not in resolved]
        free = [c for c in cands if c not in resolved.values()]
        if left and len(left) == len(free):  # by order
            resolved.update(zip(left, free))
        result.append(tuple(ParsedOfficial(n, resolved.get(n)) for n, _ in d.named))
    return result


# --------------------------------------------------------------------------- structure

_ATTACHMENT_RE = re.compile(r"^附\s*件\s*[：:]")
_CATEGORY_RE = re.compile(r"^([一二三四五六七八九十]+)、\s*(.+)$")
_TASK_RE = re.compile(r"^[（(]([一二三四五六七八九十百零〇]+)[）)]\s*(.*)$")
_FIELD_RE = re.compile(
    r"^(整\s*改\s*目\s*标|整\s*改\s*措\s*施|责\s*任\s*单\s*位|配\s*合\s*单\s*位|责\s*任\s*人|整\s*改\s*[时期]\s*限)\s*[：:]\s*(.*)$"
)
_FIELD_KEYS = {
    "整改目标": "goal",
    "整改措施": "measures",
    "责任单位": "responsible",
    "配合单位": "cooperating",
    "责任人": "officials",
    "整改时限": "deadline",
    "整改期限": "deadline",
}
_FIELD_NAMES = {
    "goal": "整改目标",
    "measures": "整改措施",
    "responsible": "责任单位",
    "officials": "责任人",
    "deadline": "整改时限",
}
_TRAILING = {"responsible", "cooperating", "officials", "deadline"}
# "N." opening a measure: the text after it must not start with a digit unless it is a year
_MEASURE_RE = re.compile(r"^(\d{1,2})\s*[.．、]\s*((?:\d{4}(?=\s*年|\s*$)|(?!\d)).+)$")


@dataclass
class _TaskDraft:
    label: str
    line: int
    category: int
    fields: dict  # field -> list[_Line]
    measures: list  # [number, list[_Line]]
    current: str = "problem"


def _add_measure_line(task: _TaskDraft, ln: _Line) -> None:
    m = _MEASURE_RE.match(ln.text)
    expected = len(task.measures) + 1
    if m and int(m.group(1)) == expected:
        task.measures.append([expected, [_Line(ln.no, m.group(2))]])
    elif m and not task.measures:
        raise PlanFormatError(ln.no, f"任务{task.label}的整改措施应从 1 开始编号")
    elif task.measures:
        task.measures[-1][1].append(ln)
    else:  # unnumbered text right after 整改措施： is the single measure 1
        task.measures.append([1, [ln]])


def _scan_tasks(lines: list[_Line]) -> tuple[list[ParsedCategory], list[_TaskDraft]]:
    categories: list[ParsedCategory] = []
    tasks: list[_TaskDraft] = []
    in_category = 0
    scheme = None  # "global" or "restart" numerals, fixed by the first task of category 2
    for ln in lines:
        task = tasks[-1] if tasks and tasks[-1].category == len(categories) else None
        between = task is None or task.current in _TRAILING  # a new task or category may start here
        cm = _CATEGORY_RE.match(ln.text)
        if cm and between and _cn_to_int(cm.group(1)) == len(categories) + 1:
            categories.append(ParsedCategory(len(categories) + 1, cm.group(2).strip()))
            in_category = 0
            continue
        tm = _TASK_RE.match(ln.text)
        if tm:
            n = _cn_to_int(tm.group(1))
            run_on, restart = len(tasks) + 1, in_category + 1
            if n in ({run_on, restart} if scheme is None else {run_on if scheme == "global" else restart}):
                if scheme is None and run_on != restart:
                    scheme = "global" if n == run_on else "restart"
                if not categories:
                    raise PlanFormatError(ln.no, f"任务（{tm.group(1)}）之前缺少问题类别标题")
                in_category += 1
                tasks.append(
                    _TaskDraft(
                        f"（{tm.group(1)}）",
                        ln.no,
                        len(categories),
                        {"problem": [_Line(ln.no, tm.group(2))]},
                        [],
                    )
                )
                continue
            if between and categories:
                want = restart if scheme == "restart" else run_on
                raise PlanFormatError(
                    ln.no, f"任务编号不连续：应为（{_int_to_cn(want)}），实为（{tm.group(1)}）"
                )
        if task is None:
            continue  # attachment title, a category's introduction paragraph
        fm = _FIELD_RE.match(ln.text)
        if fm:
            key = _FIELD_KEYS[re.sub(r"\s", "", fm.group(1))]
            if key in task.fields or (key == "measures" and task.measures):
                raise PlanFormatError(ln.no, f"任务{task.label}重复出现“{_FIELD_NAMES.get(key, '配合单位')}”")
            task.current = key
            task.fields[key] = []
            if fm.group(2):
                ln = _Line(ln.no, fm.group(2))
            else:
                continue
        if task.current == "measures":
            _add_measure_line(task, ln)
        else:
            task.fields[task.current].append(ln)
    return categories, tasks


def _check_task(task: _TaskDraft) -> None:
    for key in ("goal", "measures", "responsible", "officials", "deadline"):
        present = task.measures if key == "measures" else _join(task.fields.get(key, []))
        if not present:
            raise PlanFormatError(task.line, f"任务{task.label}缺少“{_FIELD_NAMES[key]}”")
    if not _join(task.fields["problem"]):
        raise PlanFormatError(task.line, f"任务{task.label}缺少问题描述")


# --------------------------------------------------------------------------- plan


_BODY_RE = re.compile(r"中共[\u4e00-\u9fff]{2,12}|[\u4e00-\u9fff]{2,12}(?:人民政府|委员会)")


def _main_metadata(main: list[_Line]) -> tuple[str, str, dt.date | None]:
    title_lines = []
    for ln in main[:3]:
        title_lines.append(ln)
        if re.search(r"(方案|意见|规划|办法|清单|通知|决定|计划)$", ln.text):
            break
    else:
        title_lines = main[:1]
    title = _join(title_lines)
    bodies, issued = [], None
    for ln in main[-6:] + main[:2]:  # a signature block at the end, or a header
        parts = ln.text.split()
        if all(_BODY_RE.fullmatch(p) for p in parts):
            bodies.extend(parts)
        elif not issued and (
            d := re.fullmatch(r"[（(]?(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日[）)]?", ln.text)
        ):
            issued = dt.date(*map(int, d.groups()))
    body = " ".join(dict.fromkeys(bodies))
    if not body:
        m = re.search(r"[\u4e00-\u9fff]{2,3}省委、省政府", _join(main))
        body = m.group(0) if m else ""
    return title, body, issued


def _check_declared_counts(main_text: str, categories, tasks, line: int) -> None:
    """'反馈我省四个方面的突出问题…共分解为 60 个具体整改任务' must match the list."""
    for sentence in main_text.split("。"):
        total = re.search(r"共分解为\s*(\d+)\s*个", sentence)
        if not total:
            continue
        if int(total.group(1)) != len(tasks):
            raise PlanFormatError(line, f"方案称共 {total.group(1)} 个整改任务，清单中有 {len(tasks)} 个")
        aspects = re.search(r"([一二两三四五六七八九十]+|\d+)\s*个方面", sentence)
        if aspects:
            n = int(aspects.group(1)) if aspects.group(1).isdigit() else _cn_to_int(aspects.group(1))
            if n != len(categories):
                raise PlanFormatError(line, f"方案称 {n} 个方面的问题，清单中有 {len(categories)} 个问题类别")


def parse_plan(text: str) -> ParsedPlan:
    lines = _clean_lines(text)
    if not lines:
        raise PlanFormatError(1, "文件为空")
    start = next((i for i, ln in enumerate(lines) if _ATTACHMENT_RE.match(ln.text)), None)
    if start is None:  # no main text: the list starts at the first category header
        start = next((i for i, ln in enumerate(lines) if _CATEGORY_RE.match(ln.text)), 0)
        main, listing = lines[:start], lines[start:]
    else:
        main, listing = lines[:start], lines[start + 1 :]
    categories, drafts = _scan_tasks(listing)
    list_line = listing[0].no if listing else lines[-1].no
    if not categories:
        raise PlanFormatError(list_line, "未找到问题类别（如“一、关于…方面的问题”）")
    for c in categories:
        if not any(d.category == c.number for d in drafts):
            raise PlanFormatError(list_line, f"问题类别“{c.title}”下没有整改任务")
    for d in drafts:
        _check_task(d)
    main_text = _join(main)
    _check_declared_counts(main_text, categories, drafts, list_line)
    title, issuing_body, issued_date = _main_metadata(main) if main else ("", "", None)
    years = Counter(int(y) for y in re.findall(r"(\d{4})\s*年", main_text))
    plan_year = issued_date.year if issued_date else (years.most_common(1)[0][0] if years else None)

    responsible = [_parse_units(_join(d.fields["responsible"])) for d in drafts]
    cooperating = [_parse_units(_join(d.fields.get("cooperating", []))) for d in drafts]
    officials_drafts = [
        _parse_officials(d.fields["officials"], responsible[i] + cooperating[i]) for i, d in enumerate(drafts)
    ]
    officials = _resolve_officials(officials_drafts, responsible)

    tasks = []
    for i, d in enumerate(drafts):
        measures = tuple(
            ParsedMeasure(n, _join(ls), parse_milestones(_join(ls), plan_year)) for n, ls in d.measures
        )
        deadline_text = _join(d.fields["deadline"])
        due, kind = parse_deadline(deadline_text, measures)
        tasks.append(
            ParsedTask(
                number=i + 1,
                category=d.category,
                problem=_join(d.fields["problem"]),
                goal=_join(d.fields["goal"]),
                measures=measures,
                responsible_units=responsible[i],
                cooperating_units=cooperating[i],
                responsible_text=_join(d.fields["responsible"]),
                cooperating_text=_join(d.fields.get("cooperating", [])),
                officials=officials[i],
                officials_text=officials_drafts[i].text,
                deadline_text=deadline_text,
                due_date=due,
                deadline_kind=kind,
                line=d.line,
            )
        )
    return ParsedPlan(title, issuing_body, issued_date, tuple(categories), tuple(tasks))
