"""The landing page: each role starts where its work is."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from tasks.choices import Role
from tasks.policy import role_of

LANDING = {
    Role.OFFICE: "dashboard",
    Role.ADMIN: "dashboard",
    Role.LEADER: "dashboard",
    Role.LIAISON: "desk",
    Role.UNIT_LEADER: "queue",
}


@login_required
def home(request):
    target = LANDING.get(role_of(request.user))
    if target is None:
        return render(request, "web/no_role.html", status=403)
    return redirect(target)
