"""URLs: the admin (the front page leads there), the API under /api/v1/, its schema
and docs, the favicon."""

from django.contrib import admin
from django.urls import include, path, re_path, reverse_lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerView

from portfolio.api.exceptions import api_not_found
from portfolio.api.root import SchemaView
from portfolio.views import favicon

urlpatterns = [
    # The site's front page is the dashboard (the admin's 查看站点 points here).
    path("", RedirectView.as_view(url=reverse_lazy("admin:index")), name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # Anything else under /api/, with any character in it (a newline too): the
    # API's JSON 404 (see api_not_found), also when DEBUG shows Django's pages.
    re_path(r"^api/[\s\S]*$", api_not_found),
]

handler400 = "portfolio.api.exceptions.handler400"
handler403 = "portfolio.api.exceptions.handler403"
handler404 = "portfolio.api.exceptions.handler404"
handler500 = "portfolio.api.exceptions.handler500"
