"""Every resource of the API, under /api/v1/, and the root listing them."""

from django.urls import include, path, re_path

from portfolio.api.exceptions import api_not_found
from portfolio.api.root import api_root_view

APPS = [
    "portfolio.api.urls",
    "projects.api.urls",
    "indicators.api.urls",
    "projects.alerts.api.urls",
    "projects.reporting.api.views",
    "projects.exchange.api.urls",
]


def _resources() -> dict[str, str]:
    """Each collection of the apps' routers (name → URL name of its list), and
    the dashboard: what ``/api/v1/`` lists."""
    from importlib import import_module

    resources = {}
    for module in APPS:
        router = getattr(import_module(module), "router", None)
        for prefix, _viewset, basename in router.registry if router else ():
            resources[prefix.replace("-", "_")] = f"{basename}-list"
    resources["dashboard"] = "api-dashboard"
    resources["statistics"] = "api-statistics"
    return resources


urlpatterns = [
    path("", api_root_view(_resources()), name="api-root"),
    *(path("", include(module)) for module in APPS),
    # Keep last: anything else under /api/v1/ is a JSON 404, never an HTML page
    # (a GET without its final slash is redirected: see api_not_found).
    # ``[\s\S]``: a newline in the address is matched too (``.`` would stop at it).
    re_path(r"^[\s\S]*$", api_not_found),
]
