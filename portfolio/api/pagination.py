"""Pagination of every list: ``{count, next, previous, results}``, page_size ≤ 500."""

import datetime as dt
from functools import partial

from django.core.paginator import Paginator
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import PageNumberPagination

from portfolio.sync import sync_token


class DecoratingPaginator(Paginator):
    """Counts the plain filtered queryset; decorates only the page it fetches.

    The annotations a list shows (joins, subqueries) cost nothing in the count
    this way, and are computed for the rows of one page only.
    """

    def __init__(self, *args, decorate=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.decorate = decorate

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        object_list = self.object_list
        if self.decorate is not None:
            object_list = self.decorate(object_list)
        return self._get_page(object_list[bottom:top], number, self)


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        decorate = None
        if getattr(view, "action", None) == "list":
            decorate = getattr(view, "decorate", None)
        self.django_paginator_class = partial(DecoratingPaginator, decorate=decorate)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response_schema(self, schema):
        result = super().get_paginated_response_schema(schema)
        # Every page has all four keys (next and previous are null at the ends).
        result["required"] = ["count", "next", "previous", "results"]
        for key in ("next", "previous"):
            result["properties"][key].pop("example", None)
        return result


class SyncPagination(StandardPagination):
    """A list that clients keep a copy of: each page also gives ``sync_token``.

    The token is taken before the page is read (``portfolio.sync.sync_token``);
    passed back as ``updated_since`` (and to ``/deletions/``), it returns
    everything that changed after this page was read, whatever was still being
    committed at the time. It is UTC (``…Z``): no ``+`` to escape in a URL.
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.sync_token = sync_token()
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        token = self.sync_token.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        response.data = {**response.data, "sync_token": token}
        return response

    def get_paginated_response_schema(self, schema):
        result = super().get_paginated_response_schema(schema)
        result["properties"]["sync_token"] = {
            "type": "string",
            "format": "date-time",
            "description": _(
                "同步游标（UTC）：下次增量同步时作为 updated_since 传入，"
                "同时用于 /deletions/?updated_since=。取遍历的第一页的值。"
            ),
        }
        result["required"] = [*result.get("required", []), "sync_token"]
        return result
