"""Model fields shared by the apps.

``BoundedTextField``: a text column with a maximum length that every writer
meets. A plain ``TextField`` took 2.6 MB of progress notes through the API (and
its history row stored them again). The bound is enforced where Django
validates — ``full_clean()`` in every service, the admin's forms (whose
textareas also get ``maxlength``), the API's serializers (DRF reads
``max_length`` from the model field) — and not in the database: the column
stays ``text``, so the field migrates as a plain ``TextField`` and no existing
row is touched. The limits are generous for what a clerk types (a year's
progress is a few hundred characters); the constants below name them.
"""

from __future__ import annotations

from django.core.validators import MaxLengthValidator
from django.db import models

# A report's own texts (progress, problems, plans, a project's content).
LONG_TEXT = 5000
# A reason, a note, a short description.
SHORT_TEXT = 2000


class BoundedTextField(models.TextField):
    """A ``TextField`` whose ``max_length`` is validated, not stored in the schema."""

    def __init__(self, *args, max_length: int = LONG_TEXT, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        # As CharField does: full_clean() refuses a longer value, naming the field.
        self.validators.append(MaxLengthValidator(self.max_length))

    def deconstruct(self):
        # Migrations see a plain TextField: the bound is not a schema change.
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, "django.db.models.TextField", args, kwargs
