"""单位登记: the office registers the province's units (and their place) before a plan names them."""

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import redirect, render

from tasks.models import Unit
from tasks.policy import OFFICE
from tasks.services import formkeys
from tasks.services import units as unit_services
from tasks.services.errors import LedgerError
from web.access import role_required
from web.forms import UnitForm


@role_required(OFFICE)
def units(request):
    form = UnitForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                with (
                    transaction.atomic()
                ):  # the form's one-time key is used up with the change, or not at all
                    formkeys.consume(request.user, request.POST.get("form_key"))
                    unit = unit_services.add_unit(actor=request.user, **form.cleaned_data)
            except LedgerError as error:
                form.show_error(error)
                status = error.status_code
            else:
                messages.success(request, f"已登记：{unit.name}（{unit.get_kind_display()}）")
                return redirect("units")
    rows = list(
        Unit.objects.select_related("parent")
        .annotate(rows=Count("assignments", filter=Q(assignments__retired_at=None), distinct=True))
        .order_by("kind", "parent__name", "name")
    )
    return render(request, "web/units.html", {"form": form, "units": rows}, status=status)
