"""``GET /api/v1/``: where each resource is; ``/api/schema/`` as a file.

The root lists the resources of the API by name with their addresses (the
collections, and the dashboard), and where the schema and its docs are. It
needs no credentials: it says where things are, not what they hold. The list
is made in ``config.api_urls`` from the routers of every app, so a resource
that an app adds appears here by itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import schema

EXTRA = {"schema": "schema", "docs": "docs"}


class ApiRootView(APIView):
    """The resources of /api/v1/, each with its address."""

    permission_classes = [AllowAny]
    # name in the answer → URL name; set by config.api_urls.
    resources: Mapping[str, str] = {}

    def get(self, request):
        links = {**self.resources, **EXTRA}
        return Response(
            {name: request.build_absolute_uri(reverse(u)) for name, u in links.items()}
        )


def api_root_view(resources: Mapping[str, str]):
    """The root view listing ``resources`` (name in the answer → URL name)."""
    names = [*resources, *EXTRA]
    answer = inline_serializer(
        "ApiRoot",
        {
            name: serializers.URLField(help_text=_("%(name)s 的地址") % {"name": name})
            for name in names
        },
    )

    @extend_schema_view(
        get=extend_schema(
            tags=["root"],
            operation_id="root_retrieve",
            summary=_("资源目录"),
            description=_("各资源的地址，以及 OpenAPI 描述和交互式文档的地址。"),
            responses={200: answer, 429: schema.THROTTLED},
        )
    )
    class Root(ApiRootView):
        pass

    Root.resources = dict(resources)
    return Root.as_view()


class SchemaView(SpectacularAPIView):
    """``/api/schema/`` with an ASCII file name (a well-formed header)."""

    def _get_filename(self, request, version):
        suffix = self.perform_content_negotiation(request, force=True)[0].format
        return f"bazhong-portfolio-api.{suffix}"
