"""Every resource of the API, under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("portfolio.api.urls")),
    path("", include("projects.api.urls")),
    path("", include("indicators.api.urls")),
    path("", include("projects.api.notice_urls")),
]
