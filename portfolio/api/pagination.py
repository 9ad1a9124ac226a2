"""Pagination of every list: ``{count, next, previous, results}``, page_size ≤ 500."""

from functools import partial

from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination


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
