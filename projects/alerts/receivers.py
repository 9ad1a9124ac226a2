"""What the alerts do when a lower app signals something; connected in ``apps.py``.

The lower apps cannot import the alerts (they sit above them): they send a
signal, and the receivers here turn it into notices.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError

from projects.alerts.rules import health_red_notices_open

logger = logging.getLogger(__name__)


def notify_turned_red(sender, project_ids: list[int], **kwargs) -> None:
    """Projects have just turned red: each one's supervisors get a notice now.

    Receives ``projects.dossier.health.project_turned_red``, sent after the
    refresh committed. A database error is logged, not raised: the light is saved
    already, and the daily scan's ``health_red`` rule opens the notice anyway.
    """
    try:
        opened = health_red_notices_open(project_ids=project_ids)
    except DatabaseError:
        logger.exception("red-light notices for %s not opened", project_ids)
        return
    logger.info("red-light notices opened for %s: %s", project_ids, opened)
