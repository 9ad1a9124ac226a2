"""What the dossier adds to the project and year-record resources of the API.

``projects`` may not import the dossier (docs/architecture.md), so the dossier
registers these embeds with the extension point of ``projects.api.extensions``
from ``DossierConfig.ready()``:

- ``light``, ``light_display``, ``reasons`` and the ``?light=`` filter: the
  stored traffic light (``ProjectHealth``), joined into the project list's one
  query through the ``health`` reverse relation;
- ``dossier``: money and people (``ProjectDossier``), joined the same way;
- ``progress_updates`` on year records: one prefetch query per page.

Personal data (``personal_fields()``): contact person and phone are shown in
clear because the project resource lists only projects within the caller's
scope, which is the rule of ``may_see_personal_data``; and they are never
exported, as the project list's CSV/XLSX columns hold nothing of the dossier.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import F, Prefetch
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portfolio.filtersets import ChoicesFilter
from projects.api.extensions import PROJECT_EMBEDS, YEAR_RECORD_EMBEDS, Embed, Row
from projects.choices import HealthLight
from projects.dossier.models import ProgressUpdate, ProjectDossier
from projects.dossier.services import DOSSIER_FIELDS

from .serializers import ProgressUpdateSerializer, ProjectDossierSerializer

LIGHT_LABELS = {value: str(label) for value, label in HealthLight.choices}
NO_LIGHT = _("未计算")  # the dashboard's word for a light not computed yet
MONEY = ("total_investment", *ProjectDossier.SOURCE_FIELDS)
TEXTS = tuple(name for name in DOSSIER_FIELDS if name not in MONEY)


def _light(row: Row) -> dict[str, Any]:
    """The stored light and its reasons; null and [] before it was computed."""
    light = row["light"]
    return {
        "light": light,
        "light_display": LIGHT_LABELS.get(light) or str(NO_LIGHT),
        "reasons": list(row["reasons"] or []),
    }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _dossier(row: Row) -> dict[str, Any]:
    """The project's dossier; null before a clerk entered it."""
    if row["dossier_pk"] is None:
        return {"dossier": None}
    data: dict[str, Any] = {name: _money(row[f"dossier_{name}"]) for name in MONEY}
    for name in TEXTS:
        data[name] = row[f"dossier_{name}"] or None
    return {"dossier": data}


def _progress_updates() -> list[Prefetch]:
    return [
        Prefetch(
            "progress_updates", queryset=ProgressUpdate.objects.order_by("period_start")
        )
    ]


def register_embeds() -> None:
    """Show the dossier inside projects and year records (idempotent)."""
    PROJECT_EMBEDS.register(
        Embed(
            key="dossier.light",
            fields={
                "light": serializers.ChoiceField(
                    choices=HealthLight.choices,
                    allow_null=True,
                    help_text=_("红绿灯：green/yellow/red；尚未计算时为 null"),
                ),
                "light_display": serializers.CharField(
                    help_text=_("红绿灯的名称；尚未计算时为“未计算”")
                ),
                "reasons": serializers.ListField(
                    child=serializers.CharField(), help_text=_("黄灯、红灯的原因")
                ),
            },
            annotations={"light": F("health__light"), "reasons": F("health__reasons")},
            represent=_light,
            modified=("health__changed_at",),
            filters={
                "light": ChoicesFilter(
                    field_name="health__light",
                    choices=HealthLight.choices,
                    label=_("红绿灯"),
                )
            },
        )
    )
    PROJECT_EMBEDS.register(
        Embed(
            key="dossier.dossier",
            fields={
                "dossier": ProjectDossierSerializer(
                    allow_null=True,
                    help_text=_("项目档案：投资及来源、业主、包联领导、联系人"),
                )
            },
            annotations={
                "dossier_pk": F("dossier__pk"),
                **{f"dossier_{name}": F(f"dossier__{name}") for name in DOSSIER_FIELDS},
            },
            represent=_dossier,
            modified=("dossier__updated_at",),
        )
    )
    YEAR_RECORD_EMBEDS.register(
        Embed(
            key="dossier.progress_updates",
            fields={
                "progress_updates": ProgressUpdateSerializer(
                    many=True,
                    read_only=True,
                    help_text=_("本年度的进度更新，按报告期排列"),
                )
            },
            prefetch=_progress_updates,
            modified=("progress_updates__updated_at",),
        )
    )
