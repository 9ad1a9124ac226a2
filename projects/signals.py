"""Signals of the projects app, for the apps above it (which it may not import)."""

from __future__ import annotations

from django.dispatch import Signal

# A project moved to another district, sector or department (``project_update``),
# inside the moving transaction. Arguments: ``project`` (moved, saved) and
# ``before`` ({"district_id", "sector_id", "department_id"} before the move).
# The alerts re-address the project's open notices.
project_moved = Signal()
