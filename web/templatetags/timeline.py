"""An assignment's timeline (``web.timeline.timeline``'s events) as the pages list it, written in Python.

The task page shows a page of units, each with its newest events, and the assignment page a page of
twenty events: through a template, each event cost a dozen nodes, filters and look-ups, more than
the database spent reading them. The markup is the one ``web/_timeline.html`` wrote, character for
character (``tests/test_timeline_markup.py`` renders both and compares them); a report's void form
is still the template ``web/_post_form.html``, rendered in the page's context as the include did.
"""

import datetime

from django import forms, template
from django.template.defaultfilters import date, filesizeformat, linebreaksbr
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

from web.templatetags.web import form_key

register = template.Library()

EMPTY = '\n<p class="muted">尚无报送、审核、回头看或延期记录。</p>\n\n'


def _attrs(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html``."""
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _hidden(form, name: str) -> str:
    """``{{ field }}`` of a hidden field of an unbound form (``django/forms/widgets/input.html``)."""
    value = form.fields[name].widget.format_value(form.get_initial_for_field(form.fields[name], name))
    shown = "" if value is None else f' value="{conditional_escape(value)}"'
    return f'<input type="hidden" name="{name}"{shown}{_attrs({"id": form.auto_id % name})}>'


def _void_form(form, url: str, context) -> str:
    """``web/_post_form.html`` for an unbound ``VoidReportForm`` (button 确认作废): the version and the
    report hidden, the reason a required textarea without help text (what the form declares)."""
    reason = form.fields["reason"]
    attrs = {**reason.widget.attrs, "required": reason.required, "id": form.auto_id % "reason"}
    star = ' <span aria-hidden="true">*</span>' if reason.required else ""
    field = (
        f'<div class="field">\n  <label for="{attrs["id"]}">{conditional_escape(reason.label)}{star}</label>\n'
        f'  <textarea name="reason"{_attrs(attrs)}>\n</textarea>\n  \n  \n</div>\n'
    )
    return (
        f'\n\n<form method="post" action="{conditional_escape(url)}" class="stack" novalidate>\n'
        f"  {CsrfTokenNode().render(context)}{form_key(context)}\n\n"
        f"  {_hidden(form, 'version')}{_hidden(form, 'report')}\n  \n    {field}\n  \n"
        '  <button type="submit" class="primary">确认作废</button>\n</form>\n'
    )


def _written_in_python(form) -> bool:
    """Whether ``_void_form`` writes ``form`` as the template would: unbound, with the fields it knows."""
    fields = form.fields
    return (
        not form.is_bound
        and list(fields) == ["version", "report", "reason"]
        and all(isinstance(fields[name].widget, forms.HiddenInput) for name in ("version", "report"))
        and type(fields["reason"].widget) is forms.Textarea
        and not fields["reason"].help_text
        and form.get_initial_for_field(fields["reason"], "reason") is None
    )


def _when(at, use_tz) -> tuple[str, str]:
    """``{{ at|date:'c' }}`` and ``{{ at|date:"Y-m-d H:i" }}`` (a datetime in the local time zone)."""
    if isinstance(at, datetime.datetime):
        at = template_localtime(at, use_tz)
        return at.isoformat(), at.strftime("%Y-%m-%d %H:%M")
    return date(at, "c"), date(at, "Y-m-d H:i")


def _evidence_href(pk) -> str:
    return reverse("evidence", args=[pk])


def _event(e, context) -> str:
    iso, shown = _when(e.at, context.use_tz)
    out = [
        f'\n  <li class="{conditional_escape(e.kind)}{" voided" if e.voided else ""}">\n'
        f'    <div class="when"><time datetime="{conditional_escape(iso)}">'
        f"{conditional_escape(shown)}</time>"
        f"{' · ' + conditional_escape(e.actor) if e.actor else ''}</div>\n    "
    ]
    text = linebreaksbr(e.text, autoescape=True) if e.text else ""
    if e.voided:
        out.append(f'\n    <div class="what"><del>{conditional_escape(e.title)}</del></div>\n    ')
        out.append(f"<p><del>{text}</del></p>" if text else "")
        out.append(f'\n    <p class="void-note"><strong>{conditional_escape(e.voided)}</strong></p>\n    ')
    else:
        out.append(f'\n    <div class="what">{conditional_escape(e.title)}</div>\n    ')
        out.append(f"<p>{text}</p>" if text else "")
        out.append("\n    ")
    out.append("\n    ")
    if e.details:
        notes = "".join(
            f"<li>{conditional_escape(label)}：{conditional_escape(note)}</li>" for label, note in e.details
        )
        out.append(f'<ul class="files">{notes}</ul>')
    out.append("\n    ")
    if e.evidence:
        files = "".join(
            f'<li><a href="{conditional_escape(_evidence_href(f.pk))}">{conditional_escape(f.original_name)}</a>'
            f' <span class="muted">（{conditional_escape(filesizeformat(f.size))}）</span></li>'
            for f in e.evidence
        )
        out.append(f'\n    <ul class="files" aria-label="佐证材料">\n      {files}\n    </ul>\n    ')
    out.append("\n    ")
    if e.void_form:
        form = e.void_form
        url = reverse("assignment-act", args=[e.report.assignment_id, "void_report"])
        if _written_in_python(form):
            rendered = _void_form(form, url, context)
        else:  # a form sent back with its errors, as the template writes it
            post_form = context.template.engine.get_template("web/_post_form.html")
            with context.push(form=form, url=url, button="确认作废"):
                rendered = post_form.render(context)
        out.append(
            f"\n    <details{' open' if form.errors else ''}><summary>作废此报送</summary>\n"
            f"      {rendered}\n    </details>\n    "
        )
    out.append("\n  </li>\n  ")
    return "".join(out)


@register.simple_tag(takes_context=True)
def timeline_list(context, events):
    """``events`` newest first, as an ordered list (or the line saying there are none)."""
    if not events:
        return mark_safe(EMPTY)
    items = "".join(_event(e, context) for e in events)
    return mark_safe(f'\n<ol class="timeline" reversed>\n  {items}\n</ol>\n\n')
