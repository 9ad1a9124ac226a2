"""The architecture check (tests/architecture.py): first shown to bite on small trees
built in tmp_path, then run on the real tree.

No database: these tests read files only.
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from tests import architecture
from tests.architecture import (
    check_apps,
    check_cycles,
    check_layers,
    check_shares,
    check_sizes,
    load,
    parse_layers,
)

LAYERS = """\
```layers
config
projects.reporting | projects.exchange
projects.dossier
projects | indicators
portfolio
```
"""

APPS = {
    "portfolio": "portfolio",
    "projects": "projects",
    "indicators": "indicators",
    "projects.dossier": "dossier",
    "projects.reporting": "reporting",
    "projects.exchange": "exchange",
}


def build(root: Path, files: dict[str, str], doc: str = LAYERS) -> Path:
    """A small project: the apps of LAYERS (each with apps.py), config, the doc,
    and ``files`` on top."""
    tree: dict[str, str] = {"config/__init__.py": "", "config/urls.py": "X = 1\n"}
    for package, label in APPS.items():
        folder = package.replace(".", "/")
        tree[f"{folder}/__init__.py"] = ""
        tree[f"{folder}/apps.py"] = f'class Config:\n    name = "{package}"\n'
        if "." in package:
            tree[f"{folder}/apps.py"] += f'    label = "{label}"\n'
    tree["docs/architecture.md"] = "# Architecture\n\n" + doc
    tree.update(files)
    for name, text in tree.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def messages(violations) -> list[str]:
    return [str(v) for v in violations]


def function(name: str, body_lines: int, indent: str = "") -> str:
    body = "".join(f"{indent}    x{i} = {i}\n" for i in range(body_lines))
    return f"{indent}def {name}():\n{body}"


# --- The layers block ------------------------------------------------------------


def test_layers_block_is_read_top_first_with_siblings():
    layers, problems = parse_layers("text\n\n" + LAYERS + "\nmore text\n")
    assert problems == []
    assert layers == [
        ["config"],
        ["projects.reporting", "projects.exchange"],
        ["projects.dossier"],
        ["projects", "indicators"],
        ["portfolio"],
    ]


def test_a_tree_that_keeps_the_rules_passes(tmp_path):
    root = build(
        tmp_path,
        {
            "projects/models.py": "from portfolio import apps\n",
            "projects/dossier/models.py": "from projects import models\n",
            "projects/reporting/views.py": (
                "import portfolio.apps\n"
                "from projects.dossier.models import Money\n"
                "from indicators.apps import Config\n"
            ),
            "config/urls.py": "from projects.reporting import views\n",
        },
    )
    results = architecture.check(root)
    assert {rule: messages(found) for rule, found in results.items()} == {
        "apps": [],
        "layers": [],
        "cycles": [],
        "size": [],
    }


def test_an_app_missing_from_the_block_fails(tmp_path):
    root = build(
        tmp_path,
        {"projects/alerts/__init__.py": "", "projects/alerts/apps.py": "X = 1\n"},
    )
    [violation] = check_apps(load(root))
    assert violation.where == "projects/alerts/apps.py"
    assert "projects.alerts is not in the layers block" in violation.message


def test_a_block_naming_no_app_fails(tmp_path):
    doc = LAYERS.replace("projects.dossier\n", "projects.dossier | projects.ghost\n")
    [violation] = check_apps(load(build(tmp_path, {}, doc=doc)))
    assert "names projects.ghost, which is not an app package" in violation.message


def test_a_doc_without_a_layers_block_fails(tmp_path):
    found = messages(check_apps(load(build(tmp_path, {}, doc="no block\n"))))
    assert "docs/architecture.md: no ```layers block" in found


# --- Imports across layers --------------------------------------------------------


def test_an_upward_import_fails_with_file_line_apps_and_rule(tmp_path):
    root = build(
        tmp_path,
        {
            "portfolio/models.py": "import os\n\nfrom projects.models import Project\n",
            "projects/models.py": "Project = 1\n",
        },
    )
    [violation] = check_layers(load(root))
    assert violation.where == "portfolio/models.py:3"
    assert violation.message == (
        "portfolio (layer 0) imports projects.models of projects (layer 1): "
        "an app may only import apps in lower layers"
    )


def test_an_import_inside_a_function_counts(tmp_path):
    source = """\
        class Loader:
            def load(self):
                from projects.exchange import excel
                return excel
        """
    root = build(
        tmp_path,
        {"projects/dossier/loader.py": source, "projects/exchange/excel.py": ""},
    )
    [violation] = check_layers(load(root))
    assert violation.where == "projects/dossier/loader.py:3"
    assert "projects.dossier (layer 2) imports projects.exchange.excel" in str(
        violation
    )
    assert "(inside Loader.load)" in violation.message


def test_siblings_in_one_layer_may_not_import_each_other(tmp_path):
    root = build(
        tmp_path,
        {
            "indicators/models.py": "from projects.choices import Phase\n",
            "projects/choices.py": "Phase = 1\n",
            "projects/reporting/charts.py": "import projects.exchange.excel\n",
            "projects/exchange/excel.py": "",
        },
    )
    found = messages(check_layers(load(root)))
    rule = "apps in the same layer may not import each other"
    assert found == [
        f"indicators/models.py:1: indicators (layer 1) imports projects.choices of "
        f"projects (layer 1): {rule}",
        f"projects/reporting/charts.py:1: projects.reporting (layer 3) imports "
        f"projects.exchange.excel of projects.exchange (layer 3): {rule}",
    ]


def test_a_nested_app_is_not_part_of_its_parent(tmp_path):
    root = build(
        tmp_path,
        {
            "projects/services.py": "from projects.dossier.models import Money\n",
            "projects/dossier/models.py": "from projects import services\n",
        },
    )
    tree = load(root)
    assert tree.app_of("projects.dossier.models") == "projects.dossier"
    assert tree.app_of("projects.services") == "projects"
    [violation] = check_layers(tree)
    assert violation.where == "projects/services.py:1"
    assert "projects (layer 1) imports projects.dossier.models" in violation.message


def test_relative_imports_are_resolved(tmp_path):
    root = build(
        tmp_path,
        {
            # from . import x in a module, in a package's __init__, and two levels up
            "projects/models.py": "from .dossier import models as dossier_models\n",
            "projects/dossier/__init__.py": "from . import models\n",
            "projects/dossier/models.py": "from .. import choices\nfrom ..x import y\n",
            "projects/choices.py": "",
            "projects/x.py": "y = 1\n",
        },
    )
    tree = load(root)
    targets = {(i.importer, i.target) for i in tree.imports}
    assert targets == {
        ("projects.models", "projects.dossier.models"),
        ("projects.dossier", "projects.dossier.models"),
        ("projects.dossier.models", "projects.choices"),
        ("projects.dossier.models", "projects.x"),
    }
    [violation] = check_layers(tree)
    assert violation.where == "projects/models.py:1"


def test_from_package_import_module_is_the_module(tmp_path):
    root = build(
        tmp_path,
        {
            "projects/api/__init__.py": "",
            "projects/api/views.py": "from projects import services, Thing\n",
            "projects/services.py": "",
            "projects/__init__.py": "Thing = 1\n",
        },
    )
    targets = sorted(i.target for i in load(root).imports)
    assert targets == ["projects", "projects.services"]


def test_lazy_model_references_count_for_the_layers(tmp_path):
    source = """\
        from django.db import models

        class Plan(models.Model):
            money = models.ForeignKey("dossier.Money", on_delete=models.CASCADE)
            user = models.ForeignKey("auth.User", on_delete=models.CASCADE)

        def later(apps):
            return apps.get_model("reporting", "Chart")
        """
    root = build(
        tmp_path,
        {"portfolio/models.py": source, "projects/dossier/models.py": ""},
    )
    found = messages(check_layers(load(root)))
    assert len(found) == 2
    assert found[0].startswith(
        "portfolio/models.py:4: portfolio (layer 0) refers to projects.dossier.models"
    )
    assert found[1].startswith("portfolio/models.py:8: portfolio (layer 0) refers to")
    assert "(inside later)" in found[1]


def test_tests_and_migrations_are_not_walked(tmp_path):
    upward = "from projects.reporting import views\n" * 800
    root = build(
        tmp_path,
        {
            "portfolio/migrations/__init__.py": "",
            "portfolio/migrations/0001_initial.py": upward,
            "portfolio/test_models.py": upward,
            "portfolio/tests/__init__.py": upward,
            "tests/test_everything.py": upward,
        },
    )
    results = architecture.check(root)
    assert results["layers"] == [] and results["size"] == []


# --- Cycles ----------------------------------------------------------------------


def test_an_import_cycle_is_found_through_a_function_level_import(tmp_path):
    root = build(
        tmp_path,
        {
            "projects/a.py": "from projects import b\n",
            "projects/b.py": "import projects.c\n",
            "projects/c.py": "def f():\n    from . import a\n",
            "projects/d.py": "from projects import a\n",  # on the way in, not in it
        },
    )
    [violation] = check_cycles(load(root))
    assert violation.message.startswith(
        "import cycle among 3 modules: projects.a, projects.b, projects.c; "
        "for example projects.a (projects/a.py:1) -> projects.b (projects/b.py:1) "
        "-> projects.c (projects/c.py:2) -> projects.a"
    )


def test_two_separate_cycles_are_both_listed(tmp_path):
    root = build(
        tmp_path,
        {
            "projects/a.py": "from . import b\n",
            "projects/b.py": "from . import a\n",
            "indicators/x.py": "from indicators import y\n",
            "indicators/y.py": "from indicators.x import thing\n",
        },
    )
    found = messages(check_cycles(load(root)))
    assert len(found) == 2
    assert "indicators.x, indicators.y" in found[0]
    assert "projects.a, projects.b" in found[1]


def test_a_chain_is_no_cycle(tmp_path):
    root = build(
        tmp_path,
        {
            "projects/a.py": "from . import b\nimport projects.a\n",  # itself: no cycle
            "projects/b.py": "from . import c\n",
            "projects/c.py": "",
        },
    )
    assert check_cycles(load(root)) == []


# --- Sizes -----------------------------------------------------------------------


def test_an_oversized_file_fails(tmp_path):
    root = build(
        tmp_path,
        {"indicators/big.py": "x = 1\n" * 701, "indicators/fine.py": "x = 1\n" * 700},
    )
    found = [v for v in check_sizes(load(root)) if "limit is 700" in v.message]
    assert messages(found) == ["indicators/big.py: 701 lines; the limit is 700"]


def test_an_oversized_function_or_method_fails(tmp_path):
    source = (
        function("short", 79)  # 80 lines with its def
        + function("long", 80)  # 81
        + "class Admin:\n"
        + function("save_model", 90, indent="    ")
    )
    tree = load(build(tmp_path, {"projects/s.py": source}))
    found = [v for v in check_sizes(tree) if "limit is 80" in v.message]
    assert [(v.where, v.message.split(" is ")[0]) for v in found] == [
        ("projects/s.py:81", "long"),
        ("projects/s.py:163", "Admin.save_model"),
    ]
    assert "long is 81 lines long" in found[0].message


def test_a_function_listed_with_a_reason_is_allowed(tmp_path):
    doc = LAYERS + (
        "\n```size-exceptions\n"
        "# path:function — reason\n"
        "projects/s.py:Admin.save_model — one flat table of the admin's fields\n"
        "```\n"
    )
    source = "class Admin:\n" + function("save_model", 90, indent="    ")
    tree = load(build(tmp_path, {"projects/s.py": source}, doc=doc))
    assert tree.allowlist == {
        ("projects/s.py", "Admin.save_model"): "one flat table of the admin's fields"
    }
    assert [v for v in check_sizes(tree) if "limit is 80" in v.message] == []


def test_size_exceptions_without_a_reason_or_gone_stale_fail(tmp_path):
    doc = LAYERS + (
        "\n```size-exceptions\n"
        "projects/s.py:gone — it was long once\n"
        "projects/s.py:short — it is short now\n"
        "projects/s.py:long\n"
        "```\n"
    )
    source = function("short", 10) + function("long", 90)
    tree = load(build(tmp_path, {"projects/s.py": source}, doc))
    found = messages(check_sizes(tree))
    bad = "'projects/s.py:long' is not 'path.py:function — reason'"
    assert any(bad in m for m in found)
    assert (
        "docs/architecture.md: size exception projects/s.py:gone does not exist: "
        "remove the entry"
    ) in found
    assert any("projects/s.py:short is short now" in m for m in found)
    assert any(m.startswith("projects/s.py:12: long is 91 lines") for m in found)


def test_an_app_over_40_percent_of_the_lines_fails(tmp_path):
    root = build(
        tmp_path,
        {
            "projects/models.py": "x = 1\n" * 60,
            "projects/dossier/models.py": "x = 1\n" * 50,  # nested: counted apart
            "portfolio/models.py": "x = 1\n" * 50,
            "portfolio/migrations/0001_initial.py": "x = 1\n" * 1000,  # not counted
        },
    )
    tree = load(root)
    lines = architecture.app_lines(tree)
    assert lines["projects"] == 62 and lines["projects.dossier"] == 53
    assert check_shares(tree) == []
    (root / "projects/more.py").write_text("x = 1\n" * 100)
    [violation] = check_shares(load(root))
    assert violation.where == "projects"
    assert violation.message.startswith("app projects holds 59% of the")
    assert "the limit is 40%" in violation.message


# --- Standalone ------------------------------------------------------------------


def test_standalone_prints_the_violations_and_exits_non_zero(tmp_path, capsys):
    root = build(tmp_path, {"portfolio/models.py": "from projects import apps\n"})
    assert architecture.main([str(root)]) == 1
    out = capsys.readouterr().out
    assert "== layers: 1 violation(s)" in out
    assert "portfolio/models.py:1: portfolio (layer 0) imports projects.apps" in out


def test_standalone_exits_zero_on_a_clean_tree(tmp_path, capsys):
    assert architecture.main([str(build(tmp_path, {}))]) == 0
    assert "0 violation(s)" in capsys.readouterr().out


# --- The real tree ---------------------------------------------------------------


@pytest.fixture(scope="module")
def real_tree():
    started = time.perf_counter()
    tree = load(architecture.ROOT)
    return tree, time.perf_counter() - started


def _report(violations) -> str:
    return f"{len(violations)} violation(s):\n" + "\n".join(messages(violations))


def test_real_tree_names_every_app_in_the_layers_block(real_tree):
    tree, _ = real_tree
    violations = check_apps(tree)
    assert not violations, _report(violations)


def test_real_tree_obeys_the_layers(real_tree):
    tree, _ = real_tree
    violations = check_layers(tree)
    assert not violations, _report(violations)


def test_real_tree_has_no_import_cycles(real_tree):
    tree, _ = real_tree
    violations = check_cycles(tree)
    assert not violations, _report(violations)


def test_real_tree_keeps_files_and_functions_small(real_tree):
    tree, _ = real_tree
    violations = [v for v in check_sizes(tree) if v not in check_shares(tree)]
    assert not violations, _report(violations)


def test_real_tree_has_no_app_over_40_percent_of_the_lines(real_tree):
    tree, _ = real_tree
    violations = check_shares(tree)
    assert not violations, _report(violations)
