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

from projects.admin import ProjectAdminBase, YearRecordAdminBase
from projects.dossier.admin import (
    DossierProjectAdminMixin,
    DossierYearRecordAdminMixin,
)
from projects.exchange.admin import ExcelProjectAdminMixin, ExcelYearRecordAdminMixin
from projects.models import Project, YearRecord


class ProjectAdmin(ExcelProjectAdminMixin, DossierProjectAdminMixin, ProjectAdminBase):
    """The project page: the base, the dossier's light, money and inlines, Excel."""


class YearRecordAdmin(
    ExcelYearRecordAdminMixin, DossierYearRecordAdminMixin, YearRecordAdminBase
):
    """The year-record page: the base and its review, progress updates, Excel."""


admin.site.register(Project, ProjectAdmin)
admin.site.register(YearRecord, YearRecordAdmin)
