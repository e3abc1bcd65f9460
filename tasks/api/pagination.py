"""The API's page numbers: a clear Chinese answer for a page that is not a number or not there."""

from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination

from tasks.services.checks import ascii_int
from tasks.services.errors import InvalidInput, NotFound


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    page_query_description = "页码，从 1 起（或 last）"
    page_size_query_description = "每页条数，默认 50，最多 200"

    def get_schema_operation_parameters(self, view):
        """The schema states the minimums: ``page`` from 1, ``page_size`` from 1 (above 200 it is capped)."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param, "")
        if raw and raw not in self.last_page_strings and (ascii_int(raw) or 0) < 1:
            raise InvalidInput(
                f"页码无效：{self.page_query_param} 应为从 1 起的整数", field=self.page_query_param
            )
        size = request.query_params.get(self.page_size_query_param)
        if size and (ascii_int(size) or 0) < 1:
            # Not silently ignored (and copied into the next link): a size above the maximum is capped, as documented.
            raise InvalidInput(
                f"{self.page_size_query_param} 须为 1 到 {self.max_page_size} 的整数",
                field=self.page_size_query_param,
            )
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound:
            raise NotFound(f"页码超出范围：没有第 {raw} 页") from None
