"""The i18n check: every user-facing Chinese string in the code goes through gettext.

The decision (docs/architecture.md, "Language"): Chinese is the source language, and
every user-facing string in Python code is wrapped in gettext (``_()``), so that
there is one rule and no half-and-half. A string literal that holds Chinese text is
accepted only when it is

- the first argument of a gettext call (``_``, ``gettext``, ``gettext_lazy``,
  ``ngettext``, ``pgettext`` and their lazy forms);
- a docstring;
- an argument of a logging call (operators' logs are not the users' interface);
- a regular expression (``re.compile``, ``re.match``, …): a pattern that reads what
  users type is not text shown to them;
- in a data module listed in the ``i18n-data`` block of docs/architecture.md: code
  that reads or generates the plan's own text (the seed parser, the fixture
  builder, demo data), where the words are data, not interface.

An f-string with Chinese text is never accepted: gettext cannot translate it. Write
``_("…%(name)s…") % {"name": value}`` instead.

Standalone: ``python -m tests.i18n`` prints every raw string and exits 1 if any.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from tests.architecture import DOC, ROOT, fenced_block, walk_py

CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")
GETTEXT = {
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
}
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
REGEX_FUNCTIONS = {"compile", "match", "fullmatch", "search", "sub", "split", "findall"}
CODE_ROOTS = ("portfolio", "projects", "indicators", "config")


def data_modules(root: Path = ROOT) -> set[str]:
    text = (root / DOC).read_text(encoding="utf-8")
    lines = fenced_block(text, "i18n-data") or []
    return {line.split()[0] for line in lines if line and not line.startswith("#")}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(
            node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        ):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                found.add(id(body[0].value))
    return found


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def raw_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of every Chinese literal in ``source`` that breaks the rule."""
    tree = ast.parse(source)
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and CJK.search(node.value)
        ):
            continue
        if id(node) in docs:
            continue
        parent = parents.get(id(node))
        in_fstring = isinstance(parent, ast.JoinedStr)
        if in_fstring:
            parent = parents.get(id(parent))
        if isinstance(parent, ast.Call) and not in_fstring:
            name = _call_name(parent)
            if name in GETTEXT and parent.args and parent.args[0] is node:
                continue
        if isinstance(parent, ast.Call):
            func = parent.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in REGEX_FUNCTIONS
                and getattr(func.value, "id", "") == "re"
                and parent.args
                and parent.args[0] is node
            ):
                continue
            if isinstance(func, ast.Attribute) and func.attr in LOG_METHODS:
                owner = func.value
                owner_name = getattr(owner, "id", getattr(owner, "attr", ""))
                if "log" in owner_name.lower():
                    continue
        found.append((node.lineno, node.value))
    return found


def check(root: Path = ROOT) -> list[str]:
    exempt = data_modules(root)
    problems = []
    for folder in CODE_ROOTS:
        for path in walk_py(root / folder):
            relative = path.relative_to(root).as_posix()
            if relative in exempt:
                continue
            source = path.read_text(encoding="utf-8")
            for line, text in raw_strings(source):
                shown = text if len(text) <= 40 else text[:40] + "…"
                problems.append(f"{relative}:{line}: {shown!r} is not in gettext")
    return problems


def main() -> int:
    problems = check()
    for problem in problems:
        print(problem)
    print(f"{len(problems)} raw user-facing string(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
