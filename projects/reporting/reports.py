"""The documents: which template, which context, and the office's templates.

``report_render`` is what the command, the admin and the preview call;
``report_template_upload`` accepts an office's template only when it renders.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portfolio.choices import AuditAction
from portfolio.models import Plan
from portfolio.services import Actor, audit_log

from .documents.render import TemplateError, render
from .models import ReportKind, ReportTemplate
from .periods import StatPeriod, period_parse


def shipped_template(kind: str) -> bytes:
    """The template that comes with the system for ``kind``."""
    if kind == ReportKind.MONTHLY:
        from .documents.monthly import monthly_template

        return monthly_template()
    from .documents.evaluation import evaluation_template

    return evaluation_template()


def template_source(kind: str) -> bytes:
    """The office's active template of ``kind``, else the shipped one."""
    office = ReportTemplate.objects.filter(kind=kind, active=True).first()
    if office is None:
        return shipped_template(kind)
    with office.file.open("rb") as handle:
        return handle.read()


def _context(plan: Plan, kind: str, period: StatPeriod | None, year: int | None, today):
    if kind == ReportKind.MONTHLY:
        from .documents.monthly import monthly_context

        return monthly_context(plan, period or period_parse(None, today=today), today)
    from .documents.evaluation import evaluation_context

    return evaluation_context(plan, kind=kind, year=year, today=today)


def report_render(
    *,
    plan: Plan,
    kind: str,
    period: StatPeriod | None = None,
    year: int | None = None,
    today: dt.date | None = None,
    source: bytes | None = None,
) -> bytes:
    """The .docx of ``kind`` for ``plan``: a monthly bulletin for ``period``
    (default: last month), a mid-term evaluation at ``year``, the final one."""
    today = today or timezone.localdate()
    build, _data = _context(plan, kind, period, year, today)
    return render(source if source is not None else template_source(kind), build)


@transaction.atomic
def report_template_upload(
    *,
    kind: str,
    name: str,
    content: bytes,
    filename: str,
    plan: Plan | None,
    actor: Actor,
) -> ReportTemplate:
    """An administrator uploads an office's template; it becomes the active
    one of its kind. Refused, with the reason, when it fails to render."""
    if plan is not None:
        try:
            report_render(plan=plan, kind=kind, source=content)
        except TemplateError as exc:
            raise ValidationError({"file": str(exc)}) from exc
    template = ReportTemplate(kind=kind, name=name, active=True)
    if isinstance(actor, AbstractBaseUser):
        template.uploaded_by = actor
    template.file.save(filename, ContentFile(content), save=False)
    template.full_clean()
    ReportTemplate.objects.filter(kind=kind, active=True).update(active=False)
    template.save()
    audit_log(
        instance=template,
        action=AuditAction.CREATE,
        actor=actor,
        changes={"template": [None, name]},
        reason=_("上传文档模板"),
    )
    return template
