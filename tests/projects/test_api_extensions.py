"""The extension point of the project and year-record resources (embeds)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F
from rest_framework import serializers

from portfolio.filtersets import ChoicesFilter
from projects.api.extensions import PROJECT_EMBEDS, Embed, Embeds
from projects.filtersets import ProjectFilterSet


def test_the_dossier_registers_its_embeds_and_its_filter():
    assert {"light", "light_display", "reasons", "dossier"} <= set(
        PROJECT_EMBEDS.fields()
    )
    assert "light" in ProjectFilterSet.base_filters
    assert "light" not in ProjectFilterSet.declared_filters  # not projects' own


def test_registering_again_replaces_and_clashes_are_refused():
    class Filters(ProjectFilterSet):
        pass

    embeds = Embeds("test", Filters, rows=True)

    def embed(key: str, name: str) -> Embed:
        return Embed(
            key=key,
            fields={name: serializers.CharField()},
            annotations={name: F("name")},
            represent=lambda row: {name: row[name]},
            filters={name: ChoicesFilter(choices=[("a", "A")])},
        )

    embeds.register(embed("one", "x"))
    embeds.register(embed("one", "y"))  # as a second ready() would
    assert list(embeds.fields()) == ["y"]
    assert "y" in Filters.base_filters and "x" not in Filters.base_filters
    assert Filters.base_filters["y"].field_name == "y"
    with pytest.raises(ImproperlyConfigured, match="taken"):
        embeds.register(embed("two", "y"))
    with pytest.raises(ImproperlyConfigured, match="taken"):
        embeds.register(embed("three", "phase"))  # a filter of projects
    with pytest.raises(ImproperlyConfigured, match="represent"):
        embeds.register(Embed(key="four", fields={"z": serializers.CharField()}))
    fields = embeds.with_fields({"a": serializers.CharField()}, after="a")
    assert list(fields) == ["a", "y"]
    assert embeds.represent({"y": 1}) == {"y": 1}
