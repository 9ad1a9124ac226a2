"""Admin of the plan's indicators and their targets."""

from django.contrib import admin

from .models import Indicator, IndicatorTarget


class IndicatorTargetInline(admin.TabularInline):
    model = IndicatorTarget
    extra = 0
    fields = ["year", "kind", "value", "value_max", "approximate", "tolerance", "text"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "unit", "direction", "sector", "source"]
    list_filter = ["direction", "sector", "plan"]
    search_fields = ["name", "code", "source_text"]
    inlines = [IndicatorTargetInline]


@admin.register(IndicatorTarget)
class IndicatorTargetAdmin(admin.ModelAdmin):
    list_display = ["indicator", "year", "kind", "value", "value_max", "text"]
    list_filter = ["kind", "year", "indicator"]
    search_fields = ["indicator__name", "text"]
