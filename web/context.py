"""Template context every page shares."""

from tasks.models import Organisation


def organisation(request):
    """The office's organisation (province, office, site title) for the page footer; cached per process."""
    return {"organisation": Organisation.current()}
