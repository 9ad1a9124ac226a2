"""Tombstones: what deleting services leave behind for incremental sync."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .models import Tombstone


def tombstone_write(
    *,
    instance: models.Model,
    code: str = "",
    district_id: int | None = None,
    sector_id: int | None = None,
) -> Tombstone:
    """Record that ``instance`` is being deleted (inside the deleting transaction)."""
    return Tombstone.objects.create(
        model=instance._meta.label_lower,
        object_id=str(instance.pk),
        object_code=code,
        district_id=district_id,
        sector_id=sector_id,
        deleted_at=timezone.now(),
    )
