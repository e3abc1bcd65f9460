"""Who may open which page: a role check for views, the one place pages decide it."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from tasks.choices import Role
from tasks.models.people import role_of

OFFICE_ROLES = frozenset({Role.OFFICE, Role.ADMIN})
OVERSIGHT_ROLES = frozenset({Role.OFFICE, Role.ADMIN, Role.LEADER})
UNIT_ROLES = frozenset({Role.LIAISON, Role.UNIT_LEADER})
CHECKER_ROLES = frozenset({Role.UNIT_LEADER, Role.OFFICE, Role.ADMIN})
ANY_ROLE = frozenset(Role.values)


def role_required(roles=ANY_ROLE):
    """Anonymous users go to the login page; a signed-in user without one of ``roles`` gets 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            request.role = role_of(request.user)
            if request.role not in roles:
                raise PermissionDenied("您的角色无权访问此页面")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
