"""The project and year-record pages, composed of each app's part, registered once.

Several apps add to these two pages: ``projects`` gives the base (list, form,
review actions), ``projects.dossier`` the light, money and inlines,
``projects.exchange`` the Excel buttons and pages. None of them may import the
others' admin, so the pages are put together here, in the top app, which may
import every app (docs/architecture.md). Every mixin calls ``super()`` and adds
to what it gets back, so the order of the bases is only the order of the layers,
the higher app first.
"""

from __future__ import annotations

from django.contrib import admin

from portfolio.admin import PLAN_ACTIONS
from projects.admin import ProjectAdminBase, YearRecordAdminBase
from projects.dossier.admin import (
    DossierProjectAdminMixin,
    DossierYearRecordAdminMixin,
)
from projects.exchange.admin import ExcelProjectAdminMixin, ExcelYearRecordAdminMixin
from projects.exchange.plan_admin import PlanImportAdminMixin
from projects.models import Adjustment, PlanTable, Project, YearRecord
from projects.plan_admin import (
    PLAN_PAGE_ACTIONS,
    AdjustmentAdminBase,
    PlanTableAdminBase,
)


class ProjectAdmin(ExcelProjectAdminMixin, DossierProjectAdminMixin, ProjectAdminBase):
    """The project page: the base, the dossier's light, money and inlines, Excel."""


class YearRecordAdmin(
    ExcelYearRecordAdminMixin, DossierYearRecordAdminMixin, YearRecordAdminBase
):
    """The year-record page: the base and its review, progress updates, Excel."""


admin.site.register(Project, ProjectAdmin)
admin.site.register(YearRecord, YearRecordAdmin)


class PlanTableAdmin(PlanImportAdminMixin, PlanTableAdminBase):
    """The plan tables, with 规划导入 (upload → preview → commit)."""


admin.site.register(PlanTable, PlanTableAdmin)
admin.site.register(Adjustment, AdjustmentAdminBase)
# The plan page gains the carry-over and "make current" actions.
PLAN_ACTIONS.extend(a for a in PLAN_PAGE_ACTIONS if a not in PLAN_ACTIONS)
