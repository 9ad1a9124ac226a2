"""规划导入 in the admin: upload a plan workbook → preview what would change → commit.

The upload is kept as an ``ImportPreview`` (the same store as the year-progress
import, so any server can take the next step); the preview loads the workbook
in a transaction that is rolled back, the commit loads it for real. Every error
names its sheet, row and column, and nothing is saved while there is one.
Administrators only.
"""

from __future__ import annotations

import io

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.selectors import is_administrator
from projects.exchange import previews

from .plan_loading import plan_workbook_load
from .plan_workbook import PlanWorkbookInvalid, plan_workbook_read


class PlanUploadForm(forms.Form):
    file = forms.FileField(
        label=_("规划工作簿（.xlsx）"),
        help_text=_("“规划”工作表加每个项目表一个“表N”工作表；先预览，确认后才保存。"),
    )


class PlanImportAdminMixin:
    """Adds 规划导入 (upload, preview, commit) to the plan-table page."""

    change_list_template = "admin/projects/plantable/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        extra = [
            path("import/", view(self.plan_import_view), name="projects_plan_import"),
            path(
                "import/<str:token>/",
                view(self.plan_import_preview_view),
                name="projects_plan_import_preview",
            ),
        ]
        return extra + super().get_urls()

    def _plan_context(self, request, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            **extra,
        }

    def plan_import_view(self, request):
        if not is_administrator(request.user):
            raise PermissionDenied
        form = PlanUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            preview = previews.import_preview_create(
                file=upload, uploaded_by=request.user, filename=upload.name
            )
            return HttpResponseRedirect(
                reverse("admin:projects_plan_import_preview", args=[preview.token])
            )
        return TemplateResponse(
            request,
            "admin/projects/plantable/plan_import.html",
            self._plan_context(request, title=_("规划导入"), form=form),
        )

    def plan_import_preview_view(self, request, token):
        if not is_administrator(request.user):
            raise PermissionDenied
        try:
            preview = previews.import_preview_get(token=token, user=request.user)
        except previews.PreviewUnavailable as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("admin:projects_plan_import"))
        commit = request.method == "POST" and "commit" in request.POST
        errors, report = [], None
        try:
            parsed = plan_workbook_read(io.BytesIO(bytes(preview.content)))
            report = plan_workbook_load(
                parsed=parsed, actor=request.user, dry_run=not commit
            )
        except PlanWorkbookInvalid as exc:
            errors = [str(e) for e in exc.errors]
        if commit and report is not None:
            preview.delete()
            messages.success(
                request,
                gettext("规划已导入：%(lines)s")
                % {"lines": gettext("；").join(report.lines())},
            )
            return HttpResponseRedirect(reverse("admin:projects_plantable_changelist"))
        return TemplateResponse(
            request,
            "admin/projects/plantable/plan_import_preview.html",
            self._plan_context(
                request,
                title=_("规划导入预览"),
                filename=preview.filename,
                errors=errors,
                lines=report.lines() if report else [],
                can_commit=report is not None and report.changed,
            ),
        )
