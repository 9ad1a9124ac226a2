"""The router of every resource: DRF's routes, with each list's exports.

A list that exports (``ListMixin``) has two operations of its own,
``<list>/export.csv`` and ``<list>/export.xlsx``, each with one media type, so
that a client generated from the schema can call them. They are DRF actions,
routed here without the final slash that DRF would add (``export.csv/``).
``?format=csv|xlsx`` on the list keeps working (docs/api.md).
"""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from .base import EXPORT_ACTIONS


class PortfolioRouter(SimpleRouter):
    def get_urls(self):
        exports = []
        for prefix, viewset, basename in self.registry:
            if not all(hasattr(viewset, action) for action in EXPORT_ACTIONS):
                continue
            for action, extension in EXPORT_ACTIONS.items():
                view = viewset.as_view({"get": action}, basename=basename, detail=False)
                name = f"{basename}-{getattr(viewset, action).url_name}"
                exports.append(path(f"{prefix}/export.{extension}", view, name=name))
        names = {url.name for url in exports}
        return exports + [url for url in super().get_urls() if url.name not in names]
