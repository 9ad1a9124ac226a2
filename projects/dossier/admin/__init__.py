"""Admin of the project dossier (issue 9): money and people, progress updates, the
problem list, attachments and the traffic light.

One module per subject; importing the package registers the dossier's own pages.
The dossier's part of the project and year-record pages is a pair of mixins
(``projects``), composed and registered in ``projects.bootstrap.admin``. Every
write goes through the services of ``projects.dossier``.
"""

from projects.dossier.admin import attachments, health, problems, progress
from projects.dossier.admin.projects import (
    DossierProjectAdminMixin,
    DossierYearRecordAdminMixin,
)

__all__ = [
    "DossierProjectAdminMixin",
    "DossierYearRecordAdminMixin",
    "attachments",
    "health",
    "problems",
    "progress",
]
