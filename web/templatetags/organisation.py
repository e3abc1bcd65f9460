"""{% organisation as org %}: the office's organisation (province, office, site title) for any page.

A tag rather than a context processor, so pages Django renders without a request (the CSRF
failure page) show it too; cached per process (``Organisation.current()``); a page drawn while
the database is down (the 500 page) goes without it."""

from django import template
from django.db import DatabaseError

from tasks.models import Organisation

register = template.Library()


@register.simple_tag
def organisation():
    try:
        return Organisation.current()
    except DatabaseError:
        return None
