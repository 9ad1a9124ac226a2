"""Photos and documents in the admin: upload, the scoped file and thumbnail
views, and the thumbnails on the project page.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portfolio.admin import add_service_errors, history_table
from portfolio.selectors import user_scope
from projects.dossier import attachments as attachment_services
from projects.dossier.admin.common import (
    SERVICE_ERRORS,
    ReadOnlyLinksInline,
    RoleAdminMixin,
    can_write_dossier,
    scoped_projects,
)
from projects.dossier.models import Attachment, ProgressUpdate
from projects.models import Project


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(size, 1) / 1024:.0f} KB"


def attachment_preview(obj: Attachment) -> str:
    """A thumbnail (images) or a link (documents), both through the scoped view."""
    url = reverse("admin:dossier_attachment_file", args=[obj.pk])
    if obj.is_image:
        thumb = reverse("admin:dossier_attachment_thumbnail", args=[obj.pk])
        return format_html(
            '<a href="{}" target="_blank"><img src="{}" alt="{}" '
            'style="max-width:120px;max-height:90px"></a>',
            url,
            thumb,
            obj.title or obj.original_name,
        )
    return format_html('<a href="{}">{}</a>', url, _("下载"))


class AttachmentLinks(ReadOnlyLinksInline):
    """Photos and documents on the project page, as thumbnails and links."""

    model = Attachment
    fields = ["preview", "kind", "title", "original_name", "size_text", "uploaded_at"]
    readonly_fields = fields
    verbose_name_plural = _("照片和附件（在“照片和附件”中上传）")

    @admin.display(description=_("预览"))
    def preview(self, obj):
        return attachment_preview(obj)

    @admin.display(description=_("大小"))
    def size_text(self, obj):
        return human_size(obj.size)


class AttachmentForm(forms.ModelForm):
    """The upload, checked and stored by ``attachment_add`` in ``clean()``."""

    project = forms.ModelChoiceField(label=_("项目"), queryset=Project.objects.none())
    progress_update = forms.ModelChoiceField(
        label=_("所属进度更新"),
        queryset=ProgressUpdate.objects.none(),
        required=False,
        help_text=_("可选：照片或文件属于某期进度更新时选择。"),
    )
    upload = forms.FileField(
        label=_("文件"),
        help_text=_("允许：%(types)s；按文件内容识别类型，后缀须与内容一致。")
        % {"types": attachment_services.ALLOWED_TEXT},
    )

    class Meta:
        model = Attachment
        fields = ["kind", "title"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.result = None
        self.fields["project"].queryset = scoped_projects(self.request_user)
        self.fields["progress_update"].queryset = ProgressUpdate.objects.filter(
            user_scope(self.request_user).project_q("year_record__project__")
        ).select_related("year_record__project")

    def _post_clean(self):
        # The upload service validates the file and the row; nothing to do here.
        pass

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.result = attachment_services.attachment_add(
                project=cleaned["project"],
                actor=self.request_user,
                upload=cleaned["upload"],
                kind=cleaned["kind"],
                title=cleaned.get("title") or "",
                progress_update=cleaned.get("progress_update"),
            )
        except SERVICE_ERRORS as exc:
            add_service_errors(self, exc)
        return cleaned


@admin.register(Attachment)
class AttachmentAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Photos and documents; files served only through the scoped view below."""

    form = AttachmentForm
    list_display = [
        "preview",
        "project",
        "kind",
        "title",
        "original_name",
        "size_text",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["kind", "project__district", "project__sector"]
    search_fields = ["title", "original_name", "project__name", "project__code"]
    list_select_related = ["project", "project__table", "uploaded_by"]
    list_per_page = 50
    readonly_fields = [
        "preview",
        "project",
        "progress_update",
        "kind",
        "title",
        "original_name",
        "content_type",
        "size_text",
        "sha256",
        "uploaded_by",
        "uploaded_at",
        "history",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            # Attachments are read-only once stored: a plain form, no upload.
            kwargs["fields"] = []
            kwargs["form"] = forms.ModelForm
            return super().get_form(request, obj, change, **kwargs)
        form = super().get_form(request, obj, change, **kwargs)
        form.request_user = request.user
        return form

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["project", "progress_update", "kind", "title"]}),
                (None, {"fields": ["upload"]}),
            ]
        return [(None, {"fields": self.readonly_fields})]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def has_change_permission(self, request, obj=None):
        # Attachments are added or removed, never edited in place.
        return False

    def has_delete_permission(self, request, obj=None):
        return can_write_dossier(request.user)

    def save_form(self, request, form, change):
        return form.result

    def save_model(self, request, obj, form, change):
        """Already saved by attachment_add during validation."""

    def save_related(self, request, form, formsets, change):
        """Nothing related is edited here."""

    def delete_model(self, request, obj):
        attachment_services.attachment_delete(attachment=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            attachment_services.attachment_delete(attachment=obj, actor=request.user)

    def get_urls(self):
        return [
            path(
                "<int:attachment_id>/file/",
                self.admin_site.admin_view(attachment_services.attachment_response),
                name="dossier_attachment_file",
            ),
            path(
                "<int:attachment_id>/thumbnail/",
                self.admin_site.admin_view(self.thumbnail_view),
                name="dossier_attachment_thumbnail",
            ),
            *super().get_urls(),
        ]

    def thumbnail_view(self, request, attachment_id):
        return attachment_services.attachment_response(
            request, attachment_id, thumbnail=True
        )

    @admin.display(description=_("预览"))
    def preview(self, obj):
        return attachment_preview(obj)

    @admin.display(description=_("大小"), ordering="size")
    def size_text(self, obj):
        return human_size(obj.size)

    @admin.display(description=_("变更记录"))
    def history(self, obj):
        return history_table(obj)
