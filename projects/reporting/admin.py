"""The reporting app in the admin: the ranking's weights, the offices' document
templates (download, upload, preview) and the documents themselves."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portfolio.models import Plan
from portfolio.selectors import current_plan, is_administrator, is_supervisor

from .documents.render import TemplateError
from .models import RankingWeights, ReportKind, ReportTemplate
from .periods import period_parse
from .ranking import ranking_weights_update
from .reports import report_render, report_template_upload, shipped_template

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _docx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _readers(request) -> bool:
    return is_supervisor(request.user) or is_administrator(request.user)


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
        return _readers(request)

    def has_view_permission(self, request, obj=None):
        return _readers(request)

    def has_change_permission(self, request, obj=None):
        return is_administrator(request.user)

    def has_add_permission(self, request):
        return is_administrator(request.user) and not RankingWeights.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        ranking_weights_update(weights=obj, data=form.cleaned_data, actor=request.user)


class TemplateUploadForm(forms.ModelForm):
    """An office's template: refused, with the reason, when it does not render."""

    upload = forms.FileField(label=_("模板文件（.docx）"))

    class Meta:
        model = ReportTemplate
        fields = ["kind", "name"]

    def clean(self):
        data = super().clean()
        upload, kind = data.get("upload"), data.get("kind")
        if upload and kind:
            content = upload.read()
            plan = current_plan()
            if plan is not None:
                try:
                    report_render(plan=plan, kind=kind, source=content)
                except TemplateError as exc:
                    raise ValidationError({"upload": str(exc)}) from exc
            data["content"] = content
        return data


class GenerateForm(forms.Form):
    plan = forms.ModelChoiceField(Plan.objects.all(), label=_("规划"))
    kind = forms.ChoiceField(choices=ReportKind.choices, label=_("文档类别"))
    period = forms.CharField(
        label=_("统计期"), required=False, help_text=_("月度通报用，如 2026-11")
    )
    year = forms.IntegerField(label=_("评估年度"), required=False)


@admin.register(ReportTemplate)
class ReportTemplateAdmin(admin.ModelAdmin):
    """Templates of the bulletin and the evaluations, as offices keep them."""

    form = TemplateUploadForm
    list_display = ["name", "kind", "active", "uploaded_by", "uploaded_at", "links"]
    list_filter = ["kind", "active"]
    change_list_template = "admin/reporting/reporttemplate/change_list.html"

    def has_module_permission(self, request):
        return _readers(request)

    def has_view_permission(self, request, obj=None):
        return _readers(request)

    def has_add_permission(self, request):
        return is_administrator(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return is_administrator(request.user)

    @admin.display(description=_("操作"))
    def links(self, obj):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:reporting_reporttemplate_download", args=[obj.pk]),
            gettext("下载"),
            reverse("admin:reporting_reporttemplate_preview", args=[obj.pk]),
            gettext("预览"),
        )

    def save_model(self, request, obj, form, change):
        saved = report_template_upload(
            kind=form.cleaned_data["kind"],
            name=form.cleaned_data["name"],
            content=form.cleaned_data["content"],
            filename=form.cleaned_data["upload"].name,
            plan=None,  # the form has rendered it already
            actor=request.user,
        )
        obj.pk = saved.pk

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "shipped/<str:kind>/",
                view(self.shipped_view),
                name="reporting_reporttemplate_shipped",
            ),
            path(
                "<int:pk>/download/",
                view(self.download_view),
                name="reporting_reporttemplate_download",
            ),
            path(
                "<int:pk>/preview/",
                view(self.preview_view),
                name="reporting_reporttemplate_preview",
            ),
            path(
                "generate/",
                view(self.generate_view),
                name="reporting_reporttemplate_generate",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"shipped": ReportKind.choices, **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def shipped_view(self, request, kind):
        if not _readers(request) or kind not in ReportKind.values:
            raise PermissionDenied
        return _docx(shipped_template(kind), f"template-{kind}.docx")

    def download_view(self, request, pk):
        if not _readers(request):
            raise PermissionDenied
        template = get_object_or_404(ReportTemplate, pk=pk)
        with template.file.open("rb") as handle:
            return _docx(handle.read(), f"template-{template.kind}-{pk}.docx")

    def preview_view(self, request, pk):
        if not _readers(request):
            raise PermissionDenied
        template = get_object_or_404(ReportTemplate, pk=pk)
        plan = current_plan()
        with template.file.open("rb") as handle:
            content = report_render(plan=plan, kind=template.kind, source=handle.read())
        return _docx(content, f"preview-{template.kind}.docx")

    def generate_view(self, request):
        """The bulletin or an evaluation, from the admin."""
        if not _readers(request):
            raise PermissionDenied
        form = GenerateForm(request.GET or None, initial={"plan": current_plan()})
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            today = timezone.localdate()
            try:
                period = period_parse(data["period"], today=today)
                content = report_render(
                    plan=data["plan"],
                    kind=data["kind"],
                    period=period,
                    year=data["year"],
                    today=today,
                )
            except (ValidationError, TemplateError) as exc:
                form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
            else:
                name = f"{data['plan'].code}-{data['kind']}-{period.key}.docx"
                return _docx(content, name)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("生成调度通报或评估报告"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reporting/generate.html", context)
