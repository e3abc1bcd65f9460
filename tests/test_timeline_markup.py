"""The timeline written in Python (``web/templatetags/timeline.py``) is the markup ``web/_timeline.html``
wrote: every kind of event, a voided report, notes, evidence, names to escape, a report's void form
(unbound, and sent back with its errors) and no events at all."""

import datetime
import re
from types import SimpleNamespace

from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from web.forms import VoidReportForm
from web.timeline import Event

# ``web/_timeline.html`` as it was before ``timeline_list`` took it over.
TIMELINE = """{% if events %}
<ol class="timeline" reversed>
  {% for e in events %}
  <li class="{{ e.kind }}{% if e.voided %} voided{% endif %}">
    <div class="when"><time datetime="{{ e.at|date:'c' }}">{{ e.at|date:"Y-m-d H:i" }}</time>{% if e.actor %} · {{ e.actor }}{% endif %}</div>
    {% if e.voided %}
    <div class="what"><del>{{ e.title }}</del></div>
    {% if e.text %}<p><del>{{ e.text|linebreaksbr }}</del></p>{% endif %}
    <p class="void-note"><strong>{{ e.voided }}</strong></p>
    {% else %}
    <div class="what">{{ e.title }}</div>
    {% if e.text %}<p>{{ e.text|linebreaksbr }}</p>{% endif %}
    {% endif %}
    {% if e.details %}<ul class="files">{% for label, note in e.details %}<li>{{ label }}：{{ note }}</li>{% endfor %}</ul>{% endif %}
    {% if e.evidence %}
    <ul class="files" aria-label="佐证材料">
      {% for f in e.evidence %}<li><a href="{% url 'evidence' f.pk %}">{{ f.original_name }}</a> <span class="muted">（{{ f.size|filesizeformat }}）</span></li>{% endfor %}
    </ul>
    {% endif %}
    {% if e.void_form %}
    <details{% if e.void_form.errors %} open{% endif %}><summary>作废此报送</summary>
      {% url 'assignment-act' e.report.assignment_id 'void_report' as void_url %}{% include "web/_post_form.html" with form=e.void_form url=void_url button="确认作废" %}
    </details>
    {% endif %}
  </li>
  {% endfor %}
</ol>
{% else %}
<p class="muted">尚无报送、审核、回头看或延期记录。</p>
{% endif %}
"""


def _events():
    at = timezone.make_aware(datetime.datetime(2018, 3, 5, 9, 30))
    report = SimpleNamespace(pk=41, assignment_id=7)
    files = [
        SimpleNamespace(pk=3, original_name="照片<1>.jpg", size=123456),
        SimpleNamespace(pk=4, original_name="说明.pdf", size=900),
    ]
    bound = VoidReportForm({"version": "2", "report": "42", "reason": ""}, initial={"report": 42})
    bound.is_valid()  # the reason is required: sent back with its error
    return [
        Event(
            at,
            "report",
            "报送进展 · 第10周 · 完成 40%",
            "张三",
            "第一行\n第二行 <b>",
            [("措施1", "已完成 & 验收")],
            files,
            report=report,
            void_form=VoidReportForm(initial={"version": 2, "report": 41}),
        ),
        Event(
            at - datetime.timedelta(days=1),
            "report",
            "报送进展（迟报）",
            "李四",
            "作废的 <i>",
            voided="已作废：重复（王五，2018-03-04 10:00）",
            report=SimpleNamespace(pk=42, assignment_id=7),
            void_form=bound,
        ),
        Event(
            at - datetime.timedelta(days=2), "signoff", "申请销号（第 1 阶段）", "", "", evidence=files[:1]
        ),
        Event(at - datetime.timedelta(days=3), "check", "单位审核退回", "赵六", "请补充"),
        Event(
            at - datetime.timedelta(days=4),
            "review",
            "回头看结论：问题反弹，重新整改",
            "钱七",
            "",
            [("重新整改期限", "2018-06-30")],
        ),
        Event(at - datetime.timedelta(days=5), "extension", "申请延期至 2018-04-01", "孙八", "理由"),
        Event(at - datetime.timedelta(days=6), "instruction", "领导批示（整项任务）", "周九", "批示"),
        Event(at - datetime.timedelta(days=7), "report", "无表单", "吴十", voided="已作废"),
    ]


def test_the_timeline_written_in_python_is_the_templates_markup():
    request = RequestFactory().get("/")
    request.user = SimpleNamespace(pk=5, is_authenticated=True)
    keys = re.compile(r'(name="form_key" value=")[^"]*')  # a fresh one-time key per form
    for events in (_events(), _events()[2:7], []):
        context = {"events": events, "request": request, "csrf_token": "tok"}
        expected = Template(TIMELINE).render(Context(context))
        written = Template("{% load timeline %}{% timeline_list events %}").render(Context(context))
        assert keys.sub(r"\1K", written) == keys.sub(r"\1K", expected)
    written = Template("{% load timeline %}{% timeline_list events %}").render(
        Context({"events": _events(), "request": request, "csrf_token": "tok"})
    )
    assert (
        "照片&lt;1&gt;.jpg" in written
        and "<details open>" in written
        and written.count('name="form_key"') == 2
    )
