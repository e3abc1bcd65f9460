"""What a web worker's first request would otherwise pay for, done once before it serves.

Django imports the URL conf (and with it every view module) on the first request, fills the
resolver's reverse table for the language on the first ``{% url %}``, loads the translation
catalogues on the first ``activate()``, and the cached template loader compiles a template the
first time it is asked for. At county scale that was 270–320 ms of CPU on a gunicorn worker's
first request against about 27 ms for the next ones (docs/architecture.md, "Under load").
``warm_up()`` does all of that up front and nothing else: it reads no row and opens no database
connection, so it can run in ``post_worker_init`` before the worker accepts a request.
"""

from pathlib import Path

from django.conf import settings
from django.template import TemplateSyntaxError, engines
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse
from django.utils import translation

WARM_UP_NAME = "-warm-up-"  # a URL name no pattern has


def _our_template_names(engine) -> list[str]:  # a backend of settings.TEMPLATES
    """The names of the templates under this project's folders (the site's and our apps'), not
    the third-party apps' (the admin's hundred-odd are compiled when the admin is first used)."""
    base = Path(settings.BASE_DIR).resolve()
    names = set()
    for folder in engine.template_dirs:
        folder = Path(folder).resolve()
        if base not in folder.parents or ".venv" in folder.parts or "site-packages" in folder.parts:
            continue
        for path in folder.rglob("*.html"):
            names.add(path.relative_to(folder).as_posix())
    return sorted(names)


def _namespaces(resolver: URLResolver, prefix: str = "") -> list[str]:
    """Every namespace path under ``resolver`` (``admin``, ``api``, ``api:v1`` …)."""
    paths = []
    for namespace, (_pattern, sub) in resolver.namespace_dict.items():
        paths.append(prefix + namespace)
        paths.extend(_namespaces(sub, f"{prefix}{namespace}:"))
    return paths


def _fill_reverse_tables() -> None:
    """The root's reverse table, then each namespace's: ``reverse("ns:name")`` goes through a
    resolver of its own for the namespace's prefix (``django.urls.get_ns_resolver``, cached), whose
    table is filled on its first use (about 50 ms of a first request's ``{% url %}`` tags). A name
    that does not exist fills it as well as a real one would, then fails."""
    resolver = get_resolver()  # imports the URL conf and every view module
    resolver.reverse_dict  # noqa: B018
    for path in _namespaces(resolver):
        try:
            reverse(f"{path}:{WARM_UP_NAME}")
        except NoReverseMatch:
            pass


def warm_up() -> int:
    """Import the URL conf and its views, fill the reverse table, load the site language's
    catalogues and compile our templates. Returns how many templates were compiled."""
    compiled = 0
    with translation.override(settings.LANGUAGE_CODE):
        _fill_reverse_tables()
        for engine in engines.all():
            for name in _our_template_names(engine):
                try:
                    engine.get_template(name)  # the cached loader keeps it
                except TemplateSyntaxError:
                    continue  # not a page of its own (a fragment meant for another engine)
                compiled += 1
    return compiled
