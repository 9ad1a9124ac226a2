"""The dossier as the API shows it: inside each project and year record.

The dossier has no endpoint of its own; a reader gets it inside the project and
year-record resources of ``projects.api``, through the embeds that ``embeds``
registers. These are its shapes, as the schema shows them.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from projects.dossier.models import ProgressUpdate


class ProjectDossierSerializer(serializers.Serializer):
    """Money (万元) and people; the sources add up to the total."""

    total_investment = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text=_("总投资（万元）")
    )
    fiscal_funds = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text=_("财政资金")
    )
    special_bonds = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text=_("专项债券")
    )
    bank_loans = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text=_("银行贷款")
    )
    social_capital = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text=_("社会资本")
    )
    other_funds = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text=_("其他")
    )
    owner_unit = serializers.CharField(allow_null=True, help_text=_("项目业主"))
    responsible_leader = serializers.CharField(allow_null=True, help_text=_("包联领导"))
    contact_person = serializers.CharField(
        allow_null=True, help_text=_("联系人（仅负责范围内可见）")
    )
    contact_phone = serializers.CharField(
        allow_null=True, help_text=_("联系电话（仅负责范围内可见）")
    )


class ProgressUpdateSerializer(serializers.ModelSerializer):
    """One in-year progress update (月度/季度调度) of a year record."""

    class Meta:
        model = ProgressUpdate
        fields = [
            "period",
            "due_date",
            "completed_investment",
            "cumulative_investment",
            "physical_progress",
            "percent_complete",
            "problems",
            "submitted_at",
        ]
        read_only_fields = fields
