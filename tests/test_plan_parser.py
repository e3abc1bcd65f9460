"""tasks.plan_parser: the real Shanxi 2017 plan, noisy synthetic snippets, dates, officials, errors."""

import datetime as dt
import hashlib
import json
from functools import cache
from pathlib import Path

import pytest

from tasks.plan_parser import (
    CITIES,
    ParsedMeasure,
    PlanFormatError,
    parse_deadline,
    parse_milestones,
    parse_plan,
    unit_kind,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "plans" / "shanxi-2017.txt"
EXPECTED = json.loads((Path(__file__).parent / "data" / "plan_expected.json").read_text(encoding="utf-8"))
D = dt.date


@cache
def real_plan():
    return parse_plan(FIXTURE.read_text(encoding="utf-8"))


def real_task(number):
    return real_plan().tasks[number - 1]


def pdf(*lines):
    """Lay lines out like the PDF dump: a blank line after every line."""
    return "\n\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the real plan


def test_it_ships_a_byte_identical_copy_of_the_plan():
    assert hashlib.sha256(FIXTURE.read_bytes()).hexdigest() == (
        "492a265aa4b7ad3467c7fc71434b55f489d0c5dac17e176196722a4abe93d911"
    )


def test_it_finds_sixty_tasks_numbered_one_to_sixty():
    tasks = real_plan().tasks
    assert len(tasks) == 60
    assert [t.number for t in tasks] == list(range(1, 61))


def test_it_splits_the_tasks_18_6_22_14_over_four_categories():
    plan = real_plan()
    assert [c.number for c in plan.categories] == [1, 2, 3, 4]
    counts = [sum(1 for t in plan.tasks if t.category == c.number) for c in plan.categories]
    assert counts == EXPECTED["category_counts"] == [18, 6, 22, 14]
    assert plan.categories[1].title == "关于一些部门和地区不作为、慢作为方面的问题"


def test_it_reads_the_title_and_issuing_body_and_finds_no_issued_date():
    plan = real_plan()
    assert plan.title == EXPECTED["title"] == "山西省贯彻落实中央第二环境保护督察组督察反馈意见整改方案"
    assert plan.issuing_body == EXPECTED["issuing_body"]
    assert plan.issued_date is None


@pytest.mark.parametrize("expected", EXPECTED["tasks"], ids=lambda e: f"task{e['number']}")
def test_it_reads_every_task_as_the_text_says(expected):
    task = real_task(expected["number"])
    got = {
        "number": task.number,
        "category": task.category,
        "line": task.line,
        "measure_count": len(task.measures),
        "responsible_units": [[u.name, u.kind] for u in task.responsible_units],
        "cooperating_units": [[u.name, u.kind] for u in task.cooperating_units],
        "officials": [[o.name, o.unit] for o in task.officials],
        "deadline_text": task.deadline_text,
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "deadline_kind": task.deadline_kind,
    }
    assert got == expected
    assert [m.number for m in task.measures] == list(range(1, len(task.measures) + 1))
    assert task.problem and task.goal and all(m.text for m in task.measures)


def test_it_keeps_the_officials_lines_verbatim_and_the_role_lines_as_text():
    assert real_task(3).officials_text == "晋中 胡玉亭 王 成；长治 席小军 卢建明"
    assert real_task(14).officials_text == "姜四清，各市市委、市政府主要负责同志"
    assert real_task(1).officials_text == "各市市委、市政府，省直部门主要负责同志"
    assert real_task(1).officials == ()


def test_it_reads_the_milestones_of_real_measures():
    assert real_task(3).measures[0].milestones == (D(2017, 8, 31), D(2017, 12, 31))
    assert real_task(8).measures[0].milestones == (D(2017, 12, 31), D(2018, 1, 31))
    assert real_task(39).measures[1].milestones == (
        D(2017, 12, 31),
        D(2018, 6, 30),
        D(2019, 12, 31),
    )  # "6 底前"
    assert real_task(60).measures[0].milestones == (D(2020, 12, 31),)  # "1-2 年内", "3 年内" are durations
    assert real_task(1).measures[1].milestones == ()  # "半年内" is a duration
    assert real_task(58).measures[0].milestones == (D(2017, 8, 31),)  # "8 月底前" in the 2017 plan


def test_it_cleans_page_numbers_urls_and_superscripts_out_of_the_real_text():
    assert "http" not in real_task(52).goal
    assert real_task(52).goal.endswith("力争到 2020 年，进一步提高历史遗留矿山环境综合治理率。")
    assert "零容忍、出重拳" in real_task(1).measures[2].text  # page number 19 sat between 零容 and 忍
    assert "市区 155km²规划区燃煤锅炉" in real_task(10).measures[1].text
    assert real_task(6).officials[1].name == "武华太"  # page number 26 inside the 责任人 block


def test_it_raises_on_the_real_plan_with_a_missing_responsible_unit():
    lines = FIXTURE.read_text(encoding="utf-8").split("\n")
    assert lines[1730] == "责任单位：省煤炭厅"
    lines[1730] = ""  # keep the numbering of every other line
    with pytest.raises(PlanFormatError) as err:
        parse_plan("\n".join(lines))
    assert err.value.line == 1679  # where task （十九） starts
    assert "第 1679 行" in str(err.value) and "缺少“责任单位”" in str(err.value)


def test_it_refuses_a_truncated_plan_instead_of_returning_part_of_it():
    text = "\n".join(FIXTURE.read_text(encoding="utf-8").split("\n")[:3890])  # stops after task 58
    with pytest.raises(PlanFormatError, match="共 60 个整改任务，清单中有 58 个"):
        parse_plan(text)


# --------------------------------------------------------------------------- synthetic snippets

MAIN = [
    "测试整改方案",
    "根据部署，2017 年 7 月 30 日反馈意见。督察组反馈我省两个方面的突出问题，共分解为 3",
    "个具体整改任务。",
]


def snippet(**replace):
    """A small two-category plan full of PDF noise; replace={old_line: new_line or None}."""
    lines = MAIN + [
        "19",
        "附件：测试整改任务和措施清单",
        "一、关于甲方面的问题",
        "（一）甲问题的描述，",
        "跨行继续。",
        "整改目标：目标甲。",
        "整改措施：",
        "1.压减产能。严格执行减量置换比例不得低于",
        "1.25:1。2017 年底前关闭煤矿 18 座、炉型",
        "5.5 米以上，",
        "http://district.ce.cn/newarea/sddy/201511/27/t20151127_7179590_1.shtml",
        "2.扩大范围。2017 年实现全覆盖，2018",
        "年开展试点；市区 155km",
        "2",
        "规划区“清零”。",
        "3.限期完成。2017 年 8 月底前完成甲项目，12 月底前完成乙项目。",
        "责任单位：晋中、长治市委、市政府",
        "配合单位：省环保厅，相关市委、市政府",
        "责 任 人：晋中 胡玉亭 王 成",
        "4",
        "长治 席小军 卢建明",
        "整改时限：2017 年底前",
        "二、关于乙方面的问题",
        "乙方面的介绍段落，2018",
        "年不属于任何任务。",
        "（二）乙问题的描述。",
        "整改目标：目标乙。",
        "整改措施：立即停止该机组运行，2017 年 9 月 30 日前",
        "淘汰。",
        "责任单位：各市市委、市政府，省直部门",
        "责 任 人：各市市委、市政府，省直部门主要负责同志",
        "整改期限：立行立改，长期坚持",
        "（三）丙问题的描述。",
        "整改目标：目标丙。",
        "整改措施：",
        "1.措施丙一。",
        "2.措施丙二。",
        "责任单位：焦煤集团、华电煤业集团锦兴能源公司",
        "配合单位：省国资委",
        "责 任 人：武华太 常宪文",
        "整改时限：按具体措施时限完成",
    ]
    out = []
    for line in lines:
        new = replace.get(line, line)
        if new is not None:
            out.append(new)
    return pdf(*out)


def line_of(text, needle):
    return next(i for i, line in enumerate(text.split("\n"), 1) if line == needle)


def test_it_parses_a_noisy_snippet_into_clean_paragraphs():
    plan = parse_plan(snippet())
    assert plan.title == "测试整改方案"
    assert [(c.number, c.title) for c in plan.categories] == [
        (1, "关于甲方面的问题"),
        (2, "关于乙方面的问题"),
    ]
    first, second, third = plan.tasks
    assert first.problem == "甲问题的描述，跨行继续。"
    assert [m.number for m in first.measures] == [1, 2, 3]
    assert (
        first.measures[0].text
        == "压减产能。严格执行减量置换比例不得低于1.25:1。2017 年底前关闭煤矿 18 座、炉型5.5 米以上，"
    )
    assert first.measures[1].text == "扩大范围。2017 年实现全覆盖，2018年开展试点；市区 155km²规划区“清零”。"
    assert first.officials_text == "晋中 胡玉亭 王 成；长治 席小军 卢建明"
    assert (second.number, second.category, third.category) == (2, 2, 2)
    assert second.problem == "乙问题的描述。"  # the category's introduction paragraph is not part of any task


def test_it_does_not_start_a_measure_on_numbers_that_continue_a_sentence():
    measures = parse_plan(snippet()).tasks[0].measures
    assert len(measures) == 3
    assert "1.25:1" in measures[0].text and "5.5 米" in measures[0].text
    assert "2018年开展试点" in measures[1].text


def test_it_makes_unnumbered_measure_text_the_single_measure():
    (measure,) = parse_plan(snippet()).tasks[1].measures
    assert measure == ParsedMeasure(1, "立即停止该机组运行，2017 年 9 月 30 日前淘汰。", (D(2017, 9, 30),))


def test_it_accepts_task_numerals_restarting_in_each_category():
    text = snippet(
        **{"（二）乙问题的描述。": "（一）乙问题的描述。", "（三）丙问题的描述。": "（二）丙问题的描述。"}
    )
    assert [t.number for t in parse_plan(text).tasks] == [1, 2, 3]


def test_it_resolves_units_of_the_snippet():
    first, second, third = parse_plan(snippet()).tasks
    assert [(u.name, u.kind) for u in first.responsible_units] == [("晋中市", "city"), ("长治市", "city")]
    assert [(u.name, u.kind) for u in first.cooperating_units] == [
        ("省环保厅", "department"),
        ("各相关市", "other"),
    ]
    assert [u.name for u in second.responsible_units] == list(CITIES) + ["省直部门"]
    assert [u.kind for u in third.responsible_units] == ["enterprise", "enterprise"]


def test_it_classifies_unit_names():
    assert [unit_kind(n) for n in ("太原市", "省林业厅", "山西能监办", "省直部门")] == ["city"] + [
        "department"
    ] * 3
    assert [unit_kind(n) for n in ("省电力公司", "各电力企业集团", "阳煤集团")] == ["enterprise"] * 3
    assert unit_kind("各相关市") == "other"


# --------------------------------------------------------------------------- officials


def test_it_joins_a_name_the_pdf_split_with_a_space():
    officials = parse_plan(snippet()).tasks[0].officials
    assert [(o.name, o.unit) for o in officials] == [
        ("胡玉亭", "晋中市"),
        ("王成", "晋中市"),
        ("席小军", "长治市"),
        ("卢建明", "长治市"),
    ]


def test_it_creates_no_official_for_a_role_line():
    task = parse_plan(snippet()).tasks[1]
    assert task.officials == ()
    assert task.officials_text == "各市市委、市政府，省直部门主要负责同志"


def test_it_gives_unprefixed_names_the_responsible_units_in_order():
    officials = parse_plan(snippet()).tasks[2].officials
    assert [(o.name, o.unit) for o in officials] == [
        ("武华太", "焦煤集团"),
        ("常宪文", "华电煤业集团锦兴能源公司"),
    ]


def test_it_learns_a_persons_unit_from_elsewhere_in_the_plan():
    # 周建春 is named alone for 省国土厅 in task 21, so in tasks 47-50 潘军峰 gets 省水利厅
    assert [(o.name, o.unit) for o in real_task(47).officials] == [
        ("潘军峰", "省水利厅"),
        ("周建春", "省国土厅"),
    ]
    # 武宏文 is listed as "大同 武宏文" in task 51
    assert [(o.name, o.unit) for o in real_task(41).officials] == [
        ("武宏文", "大同市"),
        ("张有喜", "同煤集团"),
    ]


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "text, default_year, expected",
    [
        ("2017 年 8 月底前完成甲，12 月底前完成乙", None, (D(2017, 8, 31), D(2017, 12, 31))),
        ("2018 年底前建成", None, (D(2018, 12, 31),)),
        ("2017 年 10 月 1 日起全面供应", None, (D(2017, 10, 1),)),
        ("2018 年 6 月底前完成排查", None, (D(2018, 6, 30),)),
        ("2018 年 6 月前完成排查", None, (D(2018, 6, 30),)),
        ("2017 年 8 月下旬下发执行", None, (D(2017, 8, 31),)),
        ("2017 年 9 至 10 月份开展检查", None, (D(2017, 10, 31),)),
        ("2018 年 6 底前完成", None, (D(2018, 6, 30),)),
        ("2017 年实现全覆盖，2018年开展试点", None, (D(2017, 12, 31), D(2018, 12, 31))),
        ("9 月开工建设，力争 2018 年底建成投用", 2017, (D(2017, 9, 30), D(2018, 12, 31))),
        ("7 月底完成改造，年底前完成治理，年内实现运煤", 2017, (D(2017, 7, 31), D(2017, 12, 31))),
        ("12 月底前完成", None, ()),  # no year anywhere: nothing to commit to
        ("2013 年以来违规新立矿业权；废止 2016 年 1 月备案文件", None, ()),
        ("1-2 年内完成，3 年内完成，半年内集中解决", 2017, ()),
        ("制定《关于 2017 年煤电有序发展实施细则》", None, ()),
        ("2018 年底前完成，2017 年 9 月底前启动，2018 年底前验收", None, (D(2017, 9, 30), D(2018, 12, 31))),
    ],
)
def test_it_reads_milestones(text, default_year, expected):
    assert parse_milestones(text, default_year) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2017 年底前", (D(2017, 12, 31), "dated")),
        ("2017 年 9 月 30 日前", (D(2017, 9, 30), "dated")),
        ("2017 年 8 月底前", (D(2017, 8, 31), "dated")),
        ("2017 年-2019 年，按国家要求分年度实施", (D(2019, 12, 31), "phased")),
        ("2020 年底前，分年度实施", (D(2020, 12, 31), "phased")),
        ("2017 年底前，持续推进", (D(2017, 12, 31), "phased")),
        ("立行立改，长期坚持", (None, "immediate_ongoing")),
        ("2017年底前完成，长期坚持", (D(2017, 12, 31), "dated")),
        ("有序退出，分年度实施", (None, "phased")),
        ("2017 年 12 月底前，完成前期工作，2018 年 3 月开工建设", (D(2018, 3, 31), "phased")),
    ],
)
def test_it_reads_deadlines(text, expected):
    assert parse_deadline(text) == expected


def test_it_takes_the_latest_measure_milestone_when_the_deadline_defers_to_the_measures():
    measures = (
        ParsedMeasure(1, "", (D(2017, 12, 31), D(2018, 1, 31))),
        ParsedMeasure(2, "", (D(2017, 12, 31),)),
    )
    assert parse_deadline("按具体措施时限完成", measures) == (D(2018, 1, 31), "dated")
    assert parse_deadline("2017 年底前", measures) == (D(2017, 12, 31), "dated")  # does not defer
    assert parse_plan(snippet()).tasks[2].due_date is None  # its measures name no date


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "field, needle",
    [
        ("责任单位", "责任单位：晋中、长治市委、市政府"),
        ("整改时限", "整改时限：2017 年底前"),
        ("整改措施", "整改措施："),
    ],
)
def test_it_names_the_task_line_when_a_field_is_missing(field, needle):
    text = snippet(**{needle: "继续描述。"})
    with pytest.raises(PlanFormatError) as err:
        parse_plan(text)
    line = line_of(text, "（一）甲问题的描述，")
    assert err.value.line == line
    assert str(err.value) == err.value.message == f"第 {line} 行：任务（一）缺少“{field}”"
    assert isinstance(err.value, ValueError)


def test_it_refuses_a_category_count_that_contradicts_the_main_text():
    text = snippet(**{MAIN[1]: MAIN[1].replace("两个方面", "三个方面")})
    with pytest.raises(PlanFormatError, match="3 个方面的问题，清单中有 2 个问题类别"):
        parse_plan(text)


def test_it_refuses_a_category_without_tasks():
    text = snippet() + pdf("三、关于丙方面的问题")
    with pytest.raises(PlanFormatError, match="下没有整改任务"):
        parse_plan(text)


def test_it_refuses_a_gap_in_task_numbers():
    text = snippet(**{"（三）丙问题的描述。": "（四）丙问题的描述。"})
    with pytest.raises(PlanFormatError) as err:
        parse_plan(text)
    assert err.value.line == line_of(text, "（四）丙问题的描述。")
    assert "应为（三）" in err.value.message


def test_it_refuses_measures_that_do_not_start_at_one():
    text = snippet(**{"1.措施丙一。": "2.措施丙一。", "2.措施丙二。": "3.措施丙二。"})
    with pytest.raises(PlanFormatError, match="整改措施应从 1 开始编号"):
        parse_plan(text)


def test_it_refuses_an_empty_file():
    with pytest.raises(PlanFormatError):
        parse_plan("\n\n")
