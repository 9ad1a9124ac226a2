"""Every resource of the API, under /api/v1/."""

from django.urls import include, path, re_path

from portfolio.api.exceptions import api_not_found

urlpatterns = [
    path("", include("portfolio.api.urls")),
    path("", include("projects.api.urls")),
    path("", include("indicators.api.urls")),
    path("", include("projects.alerts.api.urls")),
    path("", include("projects.reporting.api.views")),
    # Keep last: anything else under /api/v1/ is a JSON 404, never an HTML page
    # (paths without their final slash still get redirected by APPEND_SLASH).
    re_path(r"^(.*/)?$", api_not_found),
]
