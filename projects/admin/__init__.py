"""The admin of the projects app, one module per part.

Order matters: the dossier and the Excel pages re-register the project and
year-record admins as subclasses of the core ones.
"""

from . import core, dossier, excel, notices  # noqa: F401
