"""Who may open which page: a role check for views, the one place pages decide it."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from tasks.policy import ANY, role_of
from web import drafts


def role_required(roles=ANY):
    """Anonymous users go to the login page (a form they post is kept for after it, ``web.drafts``);
    a signed-in user without one of ``roles`` gets 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                if request.method == "POST":  # the session expired while the form was open
                    return drafts.save_and_login(request)
                return redirect_to_login(request.get_full_path())
            request.role = role_of(request.user)
            if request.role not in roles:
                raise PermissionDenied("您的角色无权访问此页面")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
