"""The reporting app in the admin: the ranking's weights."""

from __future__ import annotations

from django.contrib import admin

from portfolio.selectors import is_administrator, is_supervisor

from .models import RankingWeights
from .ranking import ranking_weights_update


@admin.register(RankingWeights)
class RankingWeightsAdmin(admin.ModelAdmin):
    """The weights of the ranking: supervisors read them, administrators edit."""

    list_display = [
        "__str__",
        "start_rate",
        "investment_rate",
        "completion_rate",
        "on_time_rate",
        "updated_at",
    ]
    fields = ["start_rate", "investment_rate", "completion_rate", "on_time_rate"]

    def has_module_permission(self, request):
        return is_supervisor(request.user) or is_administrator(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return is_administrator(request.user)

    def has_add_permission(self, request):
        return is_administrator(request.user) and not RankingWeights.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        ranking_weights_update(weights=obj, data=form.cleaned_data, actor=request.user)
