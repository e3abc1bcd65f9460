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
Missing 整改目标/整改措施/责任单位/(责任人)/整改时限 is an error at the task's
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

Other layouts and refusals: lines "— 26 —", "-26-", "第26页" (and "— 26 —" inside a line) are page
numbers. Measures may be numbered "1." "1、" "（1）", and "（一）" where tasks are numbered "一、"
with no category headings (one category 整改任务); a task keeps the style of its first measure,
and the next number in another style is refused at its line (a sub-list "（1）（2）" that starts at
1 inside a measure stays its text). Headings take synonyms (FIELD_NAMES: 完成时限, 牵头单位, …).
An impossible date (13 月, 2 月 30 日) and a month or 年底 without any year to take are refused at
their line; the default year is ``year``, else the issued date's, else the year the main text or,
without one, the list names most. Units are the ``province``'s: a city ("X市") that is neither one
of its cities nor a registered unit is refused, as is a plan of another province (named most in
the text) and a place-like token before names in 责任人 ("邯郸市 席小军"). 责任人 may be absent
from every task (no officials); if any task names persons, every task must.

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
RELEVANT_CITIES = "各相关市"
# Provincial-level names, to tell which province a plan is from (not data of any one province).
PROVINCE_NAMES = [
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
]


@dataclass(frozen=True)
class Province:
    """The province whose plan is read: its name, its cities in their standard order, and the other
    units already known (so a unit the plan names is either one of these or refused)."""

    name: str  # "山西省"
    cities: tuple[str, ...]
    units: frozenset[str] = frozenset()

    @property
    def short(self) -> str:
        return self.name.removesuffix("省").removesuffix("自治区").removesuffix("市")

    @property
    def city_short(self) -> dict[str, str]:
        return {c[:-1]: c for c in self.cities}


SHANXI = Province("山西省", CITIES)


class PlanFormatError(ValueError):
    """The text does not have the expected structure. ``line`` is 1-based; ``where`` names the place
    in a table ("工作表“整改任务清单”第 5 行 F 列") instead of a text line."""

    def __init__(self, line: int, detail: str, where: str = ""):
        self.line = line
        self.where = where or f"第 {line} 行"
        self.detail = detail
        self.message = f"{self.where}：{detail}"
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
    where: str = ""  # a table cell's place; a text line is named by its number


def _fail(ln: _Line, detail: str) -> PlanFormatError:
    return PlanFormatError(ln.no, detail, ln.where)


_URL_RE = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_PAGE_RE = re.compile(r"^\d{1,3}$")
# page numbers in the official document style: "— 26 —", "-26-", "第26页", "第 3 页 共 40 页"
_DASH = "—－\\-–―"
_STYLED_PAGE_RE = re.compile(
    rf"^(?:[{_DASH}]{{1,2}}\s*\d{{1,3}}\s*[{_DASH}]{{1,2}}|第\s*\d{{1,3}}\s*页(?:\s*[，,/／]?\s*共\s*\d{{1,3}}\s*页)?)$"
)
_INLINE_PAGE_RE = re.compile(r"\s[—－]{1,2}\s+\d{1,3}\s+[—－]{1,2}(?=\s|$)")
_SUPERSCRIPT = {"2": "²", "3": "³"}


def _clean_lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    for no, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        s = _INLINE_PAGE_RE.sub(" ", " " + _URL_RE.sub("", raw)).strip()
        if not s or _STYLED_PAGE_RE.match(s):
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


def _scan_dates(text: str, default_year: int | None):
    """Yield (matched text, date or None, problem or None) for every date-like phrase."""
    text = re.sub(r"《[^》]*》", "", text)
    year = default_year  # the year a month without its own year belongs to
    for m in _DATE_RE.finditer(text):
        g = m.groupdict()
        date = problem = None
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
            elif g["bare"]:
                before = text[: m.start()].rstrip()
                # "1-2 年内" is a duration, "去年底"/"每年底" are not this plan's year
                if before and (before[-1].isdigit() or before[-1] in "去明前每当半一二三两四五六七八九十几"):
                    continue
                if year is None:
                    problem = "no_year"
                else:
                    date = dt.date(year, 12, 31)
            elif year is None:
                problem = "no_year"
            elif g["md_m"]:
                date = dt.date(year, int(g["md_m"]), int(g["md_d"]))
            elif g["mq_m"] or g["mv_m"]:
                date = _month_date(year, int(g["mq_m"] or g["mv_m"]), g["mq_q"])
            if date is None and problem is None and not g["y_y"]:
                problem = "impossible"  # month 13
        except ValueError:
            date, problem = None, "impossible"  # 2 月 30 日
        yield m.group(0), date, problem


def parse_milestones(text: str, default_year: int | None = None) -> tuple[dt.date, ...]:
    """Dates a text commits to, sorted and unique (rules in the module docstring).

    Lenient: an impossible date or a month without a year is no milestone here; ``parse_plan``
    refuses both (``date_problem``)."""
    return tuple(sorted({d for _, d, _ in _scan_dates(text, default_year) if d}))


def _problem_text(matched: str, problem: str) -> str:
    if problem == "impossible":
        return f"日期“{matched.strip()}”不存在（月份应为 1–12，日应在该月天数之内）"
    return f"日期“{matched.strip()}”没有写年份，方案中也没有可推定的年份，请用 --year 指定年份"


def date_problem(text: str, default_year: int | None) -> str | None:
    """What is wrong with the first unreadable date of a text, in Chinese, or None."""
    for matched, _, problem in _scan_dates(text, default_year):
        if problem:
            return _problem_text(matched, problem)
    return None


_PHASED_RE = re.compile(r"分年度|分步|分阶段|分批|持续推进|依次序|逐年|逐步")
_DEFER_RE = re.compile(r"按(?:照)?(?:具体|整改)?措施")


def parse_deadline(text: str, measures=(), default_year: int | None = None) -> tuple[dt.date | None, str]:
    """(due_date, deadline_kind) for an 整改时限 text; ``measures`` are ParsedMeasure (or dates)."""
    dates = list(parse_milestones(text, default_year))
    committed = list(dates)
    if _DEFER_RE.search(text):
        for m in measures:
            committed.extend([m] if isinstance(m, dt.date) else m.milestones)
    due = max(committed) if committed else None
    if _PHASED_RE.search(text) or _YEAR_RANGE_RE.search(text) or len({d.year for d in dates}) > 1:
        return due, "phased"
    return due, ("dated" if due else "immediate_ongoing")


# --------------------------------------------------------------------------- units


def unit_kind(name: str, province: Province = SHANXI) -> str:
    if name in province.cities:
        return "city"
    if re.search(r"集团|公司|煤矿|矿井|电厂|企业", name):
        return "enterprise"
    if name.startswith(("省", province.short)) or re.search(r"(厅|委|局|办|部门)$", name):
        return "department"
    return "other"


class _UnknownUnit(ValueError):
    def __init__(self, name: str, province: Province):
        super().__init__(
            f"“{name}”不是{province.name}的市，也不是已登记的单位"
            f"（{province.name}的市：{'、'.join(province.cities)}；新单位请先由督察办登记）"
        )


def _unit(name: str, province: Province) -> ParsedUnit:
    if name.endswith("市") and name not in province.cities and name not in province.units:
        raise _UnknownUnit(name, province)
    return ParsedUnit(name, unit_kind(name, province))


def _parse_units(text: str, province: Province = SHANXI) -> tuple[ParsedUnit, ...]:
    """Units of a 责任单位/配合单位 text; a city that is not the province's raises _UnknownUnit."""
    flat = re.sub(r"\s+", "", text).replace("市委、市政府", "市委市政府")
    units: list[ParsedUnit] = []
    for item in re.split(r"[，,；;、]", flat):
        if not item:
            continue
        m = re.fullmatch(r"(.*?)(?:市委市政府|市委|市政府)", item)
        if m:
            prefix = m.group(1)
            if prefix in ("各市", "全省各市"):
                units.extend(_unit(c, province) for c in province.cities)
            elif prefix in ("相关", "各相关", "有关", "各有关"):
                units.append(ParsedUnit(RELEVANT_CITIES, "other"))
            else:
                units.append(_unit(prefix if prefix.endswith("市") else prefix + "市", province))
        else:
            units.append(_unit(province.city_short.get(item, item), province))
    return tuple(dict.fromkeys(units))


def _units_at(lines: list[_Line], province: Province) -> tuple[ParsedUnit, ...]:
    try:
        return _parse_units(_join(lines), province)
    except _UnknownUnit as exc:
        raise _fail(lines[0], str(exc)) from None


# --------------------------------------------------------------------------- officials

_ROLE_RE = re.compile(r"负责|同志|领导")
_ROLE_SUFFIX_RE = re.compile(r"(?:主要|分管)?(?:负责同志|负责人|领导同志|领导)$")
_NAME_RE = re.compile(r"[\u4e00-\u9fff·]{2,4}")
_NAME_PART_RE = re.compile(r"[\u4e00-\u9fff·]{1,4}")
# a leading token that names a place or an office, never a person
_UNITLIKE_RE = re.compile(r"[\u4e00-\u9fff]{1,}(?:省|市|县|区|州|厅|局)$")


def _prefix_unit(token: str, known: tuple[ParsedUnit, ...], province: Province = SHANXI) -> str | None:
    """The unit a leading token of a 责任人 line names, if it names one."""
    if token in province.cities or token in province.city_short:
        return province.city_short.get(token, token)
    if any(u.name == token for u in known) or token in province.units:
        return token
    if len(token) >= 4 and (token.startswith("省") or unit_kind(token, province) == "enterprise"):
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


def _parse_officials(
    lines: list[_Line], known: tuple[ParsedUnit, ...], province: Province = SHANXI
) -> _OfficialsDraft:
    groups: list[list] = []  # [first line, text]
    for ln in lines:
        toks = ln.text.split()
        opens = len(toks) > 1 and _prefix_unit(toks[0], known, province)
        if not opens and len(toks) > 1 and _UNITLIKE_RE.fullmatch(toks[0]) and not _ROLE_RE.search(ln.text):
            raise _fail(
                ln,
                f"责任人前的“{toks[0]}”不是{province.name}的已知单位（应为本省的市、本任务的责任单位，或只写姓名）",
            )
        if groups and not opens:
            # a wrapped line: keep a space only between two runs of names
            prev = groups[-1][1]
            names_meet = all(_NAME_PART_RE.fullmatch(t) for t in prev.split()[-1:] + toks)
            groups[-1][1] = prev + (" " if names_meet else "") + ln.text
        else:
            groups.append([ln, ln.text])
    draft = _OfficialsDraft("；".join(g[1] for g in groups), [], set())
    for first, text in groups:
        has_role = bool(_ROLE_RE.search(text))
        for seg in filter(None, (s.strip() for s in re.split(r"[，,；;]", text))):
            toks = seg.split() if has_role else re.split(r"[\s、]+", seg)  # "张三、李四" lists names too
            unit = _prefix_unit(toks[0], known, province) if len(toks) > 1 else None
            if not unit and len(toks) > 1 and _UNITLIKE_RE.fullmatch(toks[0]) and not has_role:
                raise _fail(
                    first,
                    f"责任人前的“{toks[0]}”不是{province.name}的已知单位"
                    "（应为本省的市、本任务的责任单位，或只写姓名）",
                )
            names = _join_names(toks[1:] if unit else toks)
            if names is None:
                if not has_role:
                    raise _fail(first, f"无法识别的责任人“{seg}”（应为“单位 姓名”或姓名）")
                try:
                    role_units = _parse_units(_ROLE_SUFFIX_RE.sub("", seg), province)
                except _UnknownUnit as exc:
                    raise _fail(first, str(exc)) from None
                draft.role_units.update(u.name for u in role_units)
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
# Each field's headings: the plan's own word first, then the usual synonyms. The table readers
# (tasks/plan_sources/columns.py) recognise their header row by these same names.
FIELD_NAMES = {
    "goal": ("整改目标",),
    "measures": ("整改措施",),
    "responsible": ("责任单位", "牵头单位"),
    "cooperating": ("配合单位", "协办单位"),
    "officials": ("责任人",),
    "deadline": ("整改时限", "整改期限", "完成时限", "完成期限", "时限要求"),
}
_FIELD_KEYS = {name: key for key, names in FIELD_NAMES.items() for name in names}
_FIELD_RE = re.compile(
    "^("
    + "|".join(r"\s*".join(name) for name in sorted(_FIELD_KEYS, key=len, reverse=True))
    + r")\s*[：:]\s*(.*)$"
)
_TRAILING = {"responsible", "cooperating", "officials", "deadline"}
_NOT_DIGIT = r"((?:\d{4}(?=\s*年|\s*$)|(?!\d)).+)"  # text after a number: no digit unless a year
# The ways a measure is numbered; a task keeps the style of its first measure. （一） only where
# the tasks themselves are numbered 一、 (otherwise it opens a task).
MEASURE_STYLES = {
    "1.": re.compile(r"^(\d{1,2})\s*[.．]\s*" + _NOT_DIGIT + "$"),
    "1、": re.compile(r"^(\d{1,2})\s*、\s*" + _NOT_DIGIT + "$"),
    "（1）": re.compile(r"^[（(](\d{1,2})[）)]\s*(.+)$"),
    "（一）": re.compile(r"^[（(]([一二三四五六七八九十]+)[）)]\s*(.+)$"),
}


def _measure_number(style: str, m: re.Match) -> int:
    return _cn_to_int(m.group(1)) if style == "（一）" else int(m.group(1))


@dataclass
class _TaskDraft:
    label: str
    line: int
    category: int
    fields: dict  # field -> list[_Line]
    measures: list  # [number, list[_Line]]
    current: str = "problem"
    style: str | None = None  # the numbering style of its measures
    sublist: str | None = None  # a style numbering items inside a measure ("1.…（1）…（2）…")
    first: _Line | None = None  # where the task starts (a table's row)


def _add_measure_line(task: _TaskDraft, ln: _Line, styles=("1.", "1、", "（1）")) -> None:
    expected = len(task.measures) + 1
    for style in styles:
        m = MEASURE_STYLES[style].match(ln.text)
        if not m:
            continue
        n = _measure_number(style, m)
        if task.style in (None, style) and n == expected:
            task.style = style
            task.measures.append([expected, [_Line(ln.no, m.group(2), ln.where)]])
            return
        if not task.measures:
            raise _fail(ln, f"任务{task.label}的整改措施应从 1 开始编号")
        if task.style != style and style != task.sublist:
            if n == 1:
                task.sublist = style  # items numbered inside the measure: its text
            elif n == expected:
                raise _fail(
                    ln,
                    f"任务{task.label}的整改措施编号方式前后不一：前面用“{task.style}”，"
                    f"此处用“{style}”，应为“{_style_label(task.style, expected)}”",
                )
        break
    if task.measures:
        task.measures[-1][1].append(ln)
    else:  # unnumbered text right after 整改措施： is the single measure 1
        task.measures.append([1, [ln]])


def _style_label(style: str, n: int) -> str:
    number = _int_to_cn(n) if style == "（一）" else str(n)
    return style.replace("一" if style == "（一）" else "1", number)


def _is_flat(listing: list[_Line]) -> bool:
    """Tasks numbered 一、二、 without category headings: a field follows the first 一、 line
    before any （一） task does."""
    start = next((i for i, ln in enumerate(listing) if _CATEGORY_RE.match(ln.text)), None)
    if start is None:
        return False
    for ln in listing[start + 1 :]:
        if _FIELD_RE.match(ln.text):
            return True
        if _TASK_RE.match(ln.text) or _CATEGORY_RE.match(ln.text):
            return False
    return False


def _open_field(task: _TaskDraft, ln: _Line) -> _Line | None:
    """Handle a field heading; returns the rest of its line (or None) or ``ln`` if not a heading."""
    fm = _FIELD_RE.match(ln.text)
    if not fm:
        return ln
    key = _FIELD_KEYS[re.sub(r"\s", "", fm.group(1))]
    if key in task.fields or (key == "measures" and task.measures):
        raise _fail(ln, f"任务{task.label}重复出现“{FIELD_NAMES[key][0]}”")
    task.current = key
    task.fields[key] = []
    return _Line(ln.no, fm.group(2), ln.where) if fm.group(2) else None


def _add_line(task: _TaskDraft, ln: _Line, styles) -> None:
    rest = _open_field(task, ln)
    if rest is None:
        return
    if task.current == "measures":
        _add_measure_line(task, rest, styles)
    else:
        task.fields[task.current].append(rest)


def _scan_flat(lines: list[_Line]) -> tuple[list[ParsedCategory], list[_TaskDraft]]:
    """一、 tasks with (一) or 1. measures, no categories: one category holds them all."""
    tasks: list[_TaskDraft] = []
    for ln in lines:
        task = tasks[-1] if tasks else None
        tm = _CATEGORY_RE.match(ln.text)
        if tm and (task is None or task.current in _TRAILING):
            if _cn_to_int(tm.group(1)) != len(tasks) + 1:
                raise _fail(
                    ln, f"任务编号不连续：应为“{_int_to_cn(len(tasks) + 1)}、”，实为“{tm.group(1)}、”"
                )
            tasks.append(
                _TaskDraft(f"{tm.group(1)}、", ln.no, 1, {"problem": [_Line(ln.no, tm.group(2))]}, [])
            )
            continue
        if task is not None:
            _add_line(task, ln, ("（一）", "1.", "1、", "（1）"))
    return [ParsedCategory(1, "整改任务")], tasks


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
                    raise _fail(ln, f"任务（{tm.group(1)}）之前缺少问题类别标题（如“一、关于…方面的问题”）")
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
                raise _fail(ln, f"任务编号不连续：应为（{_int_to_cn(want)}），实为（{tm.group(1)}）")
        if task is None:
            continue  # attachment title, a category's introduction paragraph
        _add_line(task, ln, ("1.", "1、", "（1）"))
    return categories, tasks


def _check_task(task: _TaskDraft, officials_named: bool) -> None:
    where = task.first or _Line(task.line, "")
    for key in ("goal", "measures", "responsible", "officials", "deadline"):
        if key == "officials" and not officials_named:
            continue  # a plan that names no persons at all
        present = task.measures if key == "measures" else _join(task.fields.get(key, []))
        if not present:
            extra = "（本方案其他任务写明了责任人）" if key == "officials" else ""
            raise _fail(where, f"任务{task.label}缺少“{FIELD_NAMES[key][0]}”{extra}")
    if not _join(task.fields["problem"]):
        raise _fail(where, f"任务{task.label}缺少问题描述")


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


_PROVINCE_MENTION_RE = re.compile("(" + "|".join(PROVINCE_NAMES) + ")(?:省|自治区|市委|市人民政府)")


def _check_province(lines: list[_Line], province: Province) -> None:
    """A plan of another province is refused: its 各市 are not this province's cities."""
    counts = Counter(m.group(1) for ln in lines for m in _PROVINCE_MENTION_RE.finditer(ln.text))
    if not counts:
        return
    theirs, n = counts.most_common(1)[0]
    if theirs != province.short and n > counts.get(province.short, 0):
        first = next(ln for ln in lines if re.search(f"{theirs}(?:省|自治区|市委|市人民政府)", ln.text))
        raise _fail(
            first,
            f"这是{theirs}的整改方案，本系统登记的是{province.name}的市和单位，"
            f"不能把“各市”等读成{province.name}的单位",
        )


def _plan_year(main: list[_Line], listing: list[_Line], issued: dt.date | None, year: int | None):
    """The year a bare "8 月底前" belongs to: ``year`` if given, else the plan's own dates."""
    if year:
        return year
    if issued:
        return issued.year
    for part in (main, listing):
        years = Counter(int(y) for y in re.findall(r"(\d{4})\s*年", _join(part)))
        if years:
            return years.most_common(1)[0][0]
    return None


def parse_plan(text: str, *, province: Province = SHANXI, year: int | None = None) -> ParsedPlan:
    """The whole plan, or PlanFormatError at the first line it cannot read.

    ``province`` names the cities "各市" means and the units already known; ``year`` is the year
    of dates written without one (default: the year the plan names most)."""
    lines = _clean_lines(text)
    if not lines:
        raise PlanFormatError(1, "文件为空")
    _check_province(lines, province)
    start = next((i for i, ln in enumerate(lines) if _ATTACHMENT_RE.match(ln.text)), None)
    if start is None:  # no main text: the list starts at the first category header
        start = next((i for i, ln in enumerate(lines) if _CATEGORY_RE.match(ln.text)), 0)
        main, listing = lines[:start], lines[start:]
    else:
        main, listing = lines[:start], lines[start + 1 :]
    categories, drafts = _scan_flat(listing) if _is_flat(listing) else _scan_tasks(listing)
    list_line = listing[0] if listing else lines[-1]
    if not categories:
        raise _fail(
            list_line,
            "未找到问题类别（如“一、关于…方面的问题”）或以“一、”编号的整改任务；"
            "若是从表格粘贴的清单，请保留表头（序号、督察反馈问题、整改措施、责任单位、整改时限）",
        )
    if not drafts:
        raise _fail(list_line, "未找到整改任务（如“（一）问题描述”）")
    for c in categories:
        if not any(d.category == c.number for d in drafts):
            raise _fail(list_line, f"问题类别“{c.title}”下没有整改任务")
    main_text = _join(main)
    title, issuing_body, issued_date = _main_metadata(main) if main else ("", "", None)
    plan = build_plan(
        title=title,
        issuing_body=issuing_body,
        issued_date=issued_date,
        categories=categories,
        drafts=drafts,
        year=_plan_year(main, listing, issued_date, year),
        province=province,
    )
    _check_declared_counts(main_text, categories, drafts, list_line.no)
    return plan


def _dated(ln_group: list[_Line], text: str, year: int | None) -> tuple[dt.date, ...]:
    """The milestones of a field's text, refusing its first unreadable date at that date's line."""
    scanned = list(_scan_dates(text, year))
    for matched, _, problem in scanned:
        if problem:
            needle = re.sub(r"\s", "", matched)
            at = next((ln for ln in ln_group if needle in re.sub(r"\s", "", ln.text)), ln_group[0])
            raise _fail(at, _problem_text(matched, problem))
    return tuple(sorted({d for _, d, _ in scanned if d}))


def build_plan(*, title, issuing_body, issued_date, categories, drafts, year, province) -> ParsedPlan:
    """The plan from task drafts (of the text or of a table): units, officials, measures, deadlines."""
    officials_named = any(_join(d.fields.get("officials", [])) for d in drafts)
    for d in drafts:
        _check_task(d, officials_named)
    responsible = [_units_at(d.fields["responsible"], province) for d in drafts]
    cooperating = [
        _units_at(d.fields["cooperating"], province) if d.fields.get("cooperating") else () for d in drafts
    ]
    officials_drafts = [
        _parse_officials(d.fields.get("officials", []), responsible[i] + cooperating[i], province)
        for i, d in enumerate(drafts)
    ]
    officials = _resolve_officials(officials_drafts, responsible)

    tasks = []
    for i, d in enumerate(drafts):
        measures = []
        for n, ls in d.measures:
            text = _join(ls)
            measures.append(ParsedMeasure(n, text, _dated(ls, text, year)))
        measures = tuple(measures)
        deadline_text = _join(d.fields["deadline"])
        _dated(d.fields["deadline"], deadline_text, year)
        due, kind = parse_deadline(deadline_text, measures, year)
        tasks.append(
            ParsedTask(
                number=i + 1,
                category=d.category,
                problem=_join(d.fields["problem"]),
                goal=_join(d.fields.get("goal", [])),
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
