"""Admin pages for Excel: export of the project tables, the template, the import.

Two mixins, one for the project page and one for the year-record page; the
bootstrap app composes them with the other apps' parts (``projects.bootstrap.admin``)
and registers each page once.

The import is two steps: the upload is checked and kept in the database under a
token (``ImportPreview``, so any server can take the next step), the preview
shows every change (before → after) and every error; the commit re-reads the
kept file and validates it again before saving anything.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.selectors import current_plan
from projects.exchange import excel, importing, previews
from projects.selectors import year_records_for


def _years(request) -> list[int]:
    plan = current_plan()
    first = plan.start_year if plan else timezone.localdate().year
    return list(range(timezone.localdate().year, first - 1, -1))


def xlsx_response(workbook, filename: str) -> HttpResponse:
    response = HttpResponse(
        excel.workbook_bytes(workbook), content_type=excel.XLSX_CONTENT_TYPE
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


class ExportForm(forms.Form):
    """The year and layout of an export (the filters come from the list)."""

    _year = forms.TypedChoiceField(label=_("年度"), coerce=int)
    _layout = forms.ChoiceField(
        label=_("格式"),
        choices=list(excel.EXPORT_LAYOUTS.items()),
        initial=excel.BY_TABLE,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["_year"].choices = [
            (y, gettext("%(year)s年") % {"year": y}) for y in years
        ]
        self.fields["_year"].initial = years[0]


class ExcelProjectAdminMixin:
    """Export of the project tables (the changelist's filters apply).

    Its own change list template adds the button; ``get_urls`` adds the export
    page to whatever the other parts of the page route.
    """

    change_list_template = "admin/projects/project/excel_change_list.html"

    def get_urls(self):
        extra = [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="projects_project_export",
            )
        ]
        return extra + super().get_urls()

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        years = _years(request)
        filters = request.GET.copy()
        for name in list(filters):
            if name.startswith("_"):
                del filters[name]
        form = ExportForm(
            request.GET if "_download" in request.GET else None, years=years
        )
        if form.is_bound and form.is_valid():
            request.GET = filters
            try:
                changelist = self.get_changelist_instance(request)
            except IncorrectLookupParameters:
                messages.error(request, _("筛选条件无效，请回到列表重新筛选。"))
                return HttpResponseRedirect(
                    reverse("admin:projects_project_changelist")
                )
            year = form.cleaned_data["_year"]
            layout = form.cleaned_data["_layout"]
            workbook = excel.projects_workbook(
                changelist.queryset, year=year, layout=layout
            )
            suffix = (
                gettext("筛选结果")
                if layout == excel.SINGLE_SHEET
                else gettext("重大项目表")
            )
            return xlsx_response(
                workbook,
                gettext("%(year)s年%(suffix)s.xlsx") % {"year": year, "suffix": suffix},
            )
        return TemplateResponse(
            request,
            "admin/projects/project/excel_export.html",
            {
                **self.admin_site.each_context(request),
                "title": _("导出 Excel"),
                "opts": self.model._meta,
                "form": form,
                "filters": list(filters.lists()),
                "filter_count": len(filters),
            },
        )


class UploadForm(forms.Form):
    """The filled-in template, before it is checked and kept for the preview."""

    file = forms.FileField(
        label=_("填好的模板（.xlsx）"),
        help_text=_("不超过 5 MB；先预览，确认后才保存。"),
    )


class ExcelYearRecordAdminMixin:
    """The year-progress template and its import (upload → preview → commit).

    Its own change list template adds the buttons; ``get_urls`` adds the pages to
    whatever the other parts of the page route.
    """

    change_list_template = "admin/projects/yearrecord/excel_change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        extra = [
            path(
                "excel-template/",
                view(self.template_view),
                name="projects_yearrecord_template",
            ),
            path("import/", view(self.import_view), name="projects_yearrecord_import"),
            path(
                "import/<str:token>/",
                view(self.import_preview_view),
                name="projects_yearrecord_import_preview",
            ),
        ]
        return extra + super().get_urls()

    def template_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        years = _years(request)
        try:
            year = int(request.GET.get("year", years[0]))
        except ValueError:
            year = years[0]
        if year not in years:
            year = years[0]
        workbook = excel.template_workbook(year_records_for(request.user), year=year)
        return xlsx_response(
            workbook, gettext("%(year)s年度项目进展填报模板.xlsx") % {"year": year}
        )

    def _context(self, request, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "years": _years(request),
            **extra,
        }

    def import_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        errors = []
        if request.method == "POST":
            form = UploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    # The size is known before a byte is parsed.
                    importing.file_check(upload, size=upload.size)
                except importing.ImportRefused as exc:
                    errors = exc.errors
                else:
                    preview = previews.import_preview_create(
                        file=upload, uploaded_by=request.user, filename=upload.name
                    )
                    return HttpResponseRedirect(
                        reverse(
                            "admin:projects_yearrecord_import_preview",
                            args=[preview.token],
                        )
                    )
        else:
            form = UploadForm()
        return TemplateResponse(
            request,
            "admin/projects/yearrecord/excel_import.html",
            self._context(
                request, title=_("Excel 导入年度进展"), form=form, errors=errors
            ),
        )

    def import_preview_view(self, request, token):
        if not self.has_change_permission(request):
            raise PermissionDenied
        try:
            preview = previews.import_preview_get(token=token, user=request.user)
        except previews.PreviewUnavailable as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("admin:projects_yearrecord_import"))
        filename = preview.filename
        commit = request.method == "POST" and "commit" in request.POST
        refused = []
        result = None
        try:
            result = previews.import_preview_run(
                preview=preview, actor=request.user, commit=commit
            )
        except importing.ImportRefused as exc:
            refused = exc.errors
        except previews.PreviewUnavailable as exc:  # committed meanwhile
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("admin:projects_yearrecord_import"))
        if result is not None and result.committed:
            messages.success(
                request,
                _(
                    "导入完成：%(rows)s 个项目的 %(cells)s 处修改已保存，"
                    "变更记录已写入。"
                )
                % {"rows": len(result.changed), "cells": result.cell_count},
            )
            url = reverse("admin:projects_yearrecord_changelist")
            return HttpResponseRedirect(f"{url}?year={result.year}")
        if commit and result is not None and result.ok and not result.changed:
            messages.info(request, _("文件与系统中的数据一致，没有需要保存的修改。"))
        errors = refused or (result.errors if result else [])
        return TemplateResponse(
            request,
            "admin/projects/yearrecord/excel_import_preview.html",
            self._context(
                request,
                title=_("导入预览"),
                filename=filename,
                token=token,
                result=result,
                errors=errors,
                can_commit=result is not None and result.ok and bool(result.changed),
            ),
        )
