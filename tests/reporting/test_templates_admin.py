"""Offices' templates in the admin: download the shipped one, upload one's own
(refused with the reason when it does not render), preview, generate."""

from __future__ import annotations

import io

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.reporting.models import ReportKind, ReportTemplate
from projects.reporting.reports import shipped_template, template_source

pytestmark = pytest.mark.django_db


def _docx_with(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def admin_client(client, administrator, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(administrator)
    return client


def _upload(client, content: bytes, kind=ReportKind.MONTHLY, name="本办模板"):
    return client.post(
        reverse("admin:reporting_reporttemplate_add"),
        {
            "kind": kind,
            "name": name,
            "upload": SimpleUploadedFile("t.docx", content),
        },
    )


def test_shipped_template_downloads_and_follows_the_official_layout(admin_client):
    for kind in ReportKind.values:
        response = admin_client.get(
            reverse("admin:reporting_reporttemplate_shipped", args=[kind])
        )
        assert response.status_code == 200
        document = docx.Document(io.BytesIO(response.content))
        section = document.sections[0]
        assert (
            round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
        )
        footer = section.footer.paragraphs[0]._p.xml
        assert 'w:instr="PAGE"' in footer
        text = "\n".join(p.text for p in document.paragraphs)
        assert "一、" in text and "二、" in text


def test_an_office_template_is_used_once_uploaded(admin_client, plan):
    own = _docx_with("{{ plan_name }}本办通报{{ period_label }}")
    response = _upload(admin_client, own)
    assert response.status_code == 302, response.content[:500]
    template = ReportTemplate.objects.get()
    assert template.active and template_source(ReportKind.MONTHLY) == own
    preview = admin_client.get(
        reverse("admin:reporting_reporttemplate_preview", args=[template.pk])
    )
    text = docx.Document(io.BytesIO(preview.content)).paragraphs[0].text
    assert text.startswith(plan.name + "本办通报")
    download = admin_client.get(
        reverse("admin:reporting_reporttemplate_download", args=[template.pk])
    )
    assert download.content == own


def test_a_template_that_fails_to_render_is_refused_with_the_reason(admin_client):
    response = _upload(admin_client, _docx_with("{% if no_reports %}未闭合"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["upload"]
    assert "模板无法生成文档" in errors[0] and "TemplateSyntaxError" in errors[0]
    assert not ReportTemplate.objects.exists()
    assert template_source(ReportKind.MONTHLY) == shipped_template(ReportKind.MONTHLY)


def test_documents_are_generated_from_the_admin(admin_client, plan):
    url = reverse("admin:reporting_reporttemplate_generate")
    assert admin_client.get(url).status_code == 200
    response = admin_client.get(
        url, {"plan": plan.pk, "kind": "monthly", "period": "2026-10"}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    bad = admin_client.get(url, {"plan": plan.pk, "kind": "monthly", "period": "x"})
    assert bad.status_code == 200 and "统计期" in bad.content.decode()


def test_clerks_do_not_see_templates(client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    url = reverse("admin:reporting_reporttemplate_shipped", args=["monthly"])
    assert client.get(url).status_code == 403
