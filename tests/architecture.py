"""The architecture check: layers, import cycles and size rules.

The order of the layers is read from the ``layers`` block of docs/architecture.md,
the one source of truth. The app packages are found on disk: a folder with its own
apps.py under portfolio/, projects/ or indicators/ (or any other top-level folder
with an apps.py) is an app, nested apps included, and ``config`` sits on top.

Every non-test, non-migration module of the application is parsed with ``ast`` and
every import is collected: module-level and inside functions or classes, absolute
and relative, ``from pkg import submodule`` resolved to the submodule when such a
module exists. Two string references are counted as imports for the layer rule
only: ``import_module("pkg.mod")`` and Django's lazy model references
(``ForeignKey("label.Model")``, ``apps.get_model("label", "Model")``).

Standard library only: nothing of Django or of the application is imported, so the
check runs in well under a second and without a database. Standalone::

    python -m tests.architecture [ROOT]

prints the violations and exits 1 if there are any.
"""

from __future__ import annotations

import ast
import re
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = Path("docs") / "architecture.md"
APP_ROOTS = ("portfolio", "projects", "indicators")
TOP = "config"
MAX_FILE_LINES = 700
MAX_FUNCTION_LINES = 80
MAX_APP_SHARE = 0.40

# Folders never walked: test code, migrations, caches, virtualenvs, run-time data.
SKIP_DIRS = {
    "tests",
    "migrations",
    "__pycache__",
    "node_modules",
    "venv",
    "var",
    "build",
    "dist",
}
LAZY_MODEL_CALLS = {"ForeignKey", "OneToOneField", "ManyToManyField", "get_model"}
DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
ALLOW_LINE = re.compile(
    r"^(?P<path>[^\s:]+\.py):(?P<function>[A-Za-z_][\w.]*)\s+(?:—|--|-)\s+"
    r"(?P<reason>\S.*)$"
)


@dataclass(frozen=True)
class Violation:
    rule: str  # "apps", "layers", "cycles", "size"
    where: str  # "path:line", or "" when it is about the whole tree
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass(frozen=True)
class Import:
    path: str  # of the importing file, relative to the root, with "/"
    line: int
    importer: str  # dotted module
    target: str  # dotted module (the longest existing one when known)
    function: str = ""  # qualified name of the enclosing function, if any
    lazy: bool = False  # a string reference, not an import statement


@dataclass(frozen=True)
class Function:
    path: str
    line: int
    qualname: str
    lines: int


@dataclass
class SourceFile:
    path: str  # relative, with "/"
    module: str  # dotted name; "" for files outside the application
    is_package: bool
    lines: int
    tree: ast.Module | None


@dataclass
class Tree:
    """Everything the rules need, read from disk once."""

    root: Path
    layers: list[list[str]]  # top first
    apps: list[str]  # discovered app packages, dotted, config included
    labels: dict[str, str]  # Django app label -> app package
    sources: list[SourceFile]  # every .py file the size rules look at
    modules: dict[str, SourceFile]  # the application's modules by dotted name
    imports: list[Import]
    functions: list[Function]
    allowlist: dict[tuple[str, str], str]
    problems: list[Violation] = field(default_factory=list)  # doc and parse errors

    @property
    def rank(self) -> dict[str, int]:
        """0 for the bottom layer, counting up."""
        count = len(self.layers)
        return {
            app: count - 1 - index
            for index, layer in enumerate(self.layers)
            for app in layer
        }

    def app_of(self, module: str) -> str | None:
        owners = [
            app for app in self.apps if module == app or module.startswith(app + ".")
        ]
        return max(owners, key=len, default=None)


# --- Reading the doc -----------------------------------------------------------


def fenced_block(text: str, name: str) -> list[str] | None:
    """The lines of the first ```name block, without blanks and # comments."""
    match = re.search(
        rf"^```{re.escape(name)}[ \t]*\n(.*?)^```[ \t]*$", text, re.M | re.S
    )
    if match is None:
        return None
    lines = (line.strip() for line in match.group(1).splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def parse_layers(text: str) -> tuple[list[list[str]], list[Violation]]:
    lines = fenced_block(text, "layers")
    if lines is None:
        return [], [Violation("apps", str(DOC), "no ```layers block")]
    layers, problems, seen = [], [], set()
    for line in lines:
        layer = [entry.strip() for entry in line.split("|")]
        for entry in layer:
            if not DOTTED.match(entry):
                problems.append(
                    Violation("apps", str(DOC), f"layers block: bad entry {entry!r}")
                )
            elif entry in seen:
                problems.append(
                    Violation("apps", str(DOC), f"layers block: {entry} twice")
                )
            seen.add(entry)
        layers.append(layer)
    return layers, problems


def parse_allowlist(text: str) -> tuple[dict[tuple[str, str], str], list[Violation]]:
    lines = fenced_block(text, "size-exceptions") or []
    allowed, problems = {}, []
    for line in lines:
        match = ALLOW_LINE.match(line)
        if match is None:
            problems.append(
                Violation(
                    "size",
                    str(DOC),
                    f"size exception {line!r} is not 'path.py:function — reason'",
                )
            )
            continue
        allowed[match["path"], match["function"]] = match["reason"]
    return allowed, problems


# --- Reading the code ----------------------------------------------------------


def is_test_file(name: str) -> bool:
    return (
        name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
    )


def walk_py(folder: Path):
    """The .py files under folder, skipping test code, migrations and caches."""
    for path in sorted(folder.iterdir()):
        if path.is_dir():
            if path.name in SKIP_DIRS or path.name.startswith("."):
                continue
            if path.name.endswith(".egg-info"):
                continue
            yield from walk_py(path)
        elif path.suffix == ".py" and not is_test_file(path.name):
            yield path


def module_name(relative: Path) -> tuple[str, bool]:
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def app_roots(root: Path) -> list[str]:
    found = set(APP_ROOTS)
    for path in root.iterdir():
        hidden = path.name.startswith(".") or path.name in SKIP_DIRS
        if not hidden and (path / "apps.py").is_file():
            found.add(path.name)
    return sorted(name for name in found if (root / name).is_dir())


def discover_apps(root: Path) -> tuple[list[str], dict[str, str]]:
    """App packages (folders with apps.py), dotted, plus config; and their labels."""
    apps, labels = [], {}
    for top in app_roots(root):
        for apps_py in walk_py(root / top):
            if apps_py.name != "apps.py":
                continue
            package = ".".join(apps_py.parent.relative_to(root).parts)
            apps.append(package)
            labels[app_label(apps_py, package)] = package
    if (root / TOP).is_dir():
        apps.append(TOP)
    return sorted(apps), labels


def app_label(apps_py: Path, package: str) -> str:
    """The ``label`` of the AppConfig in apps.py, else the package's last name."""
    try:
        tree = ast.parse(apps_py.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return package.rpartition(".")[2]
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if "label" in names and isinstance(node.value.value, str):
                return node.value.value
    return package.rpartition(".")[2]


class _Collector(ast.NodeVisitor):
    """Imports, string references and function sizes of one module."""

    def __init__(self, source: SourceFile, known: set[str], first_party: set[str]):
        self.source = source
        self.known = known
        self.first_party = first_party
        self.scope: list[str] = []  # class and function names, outermost first
        self.functions_open = 0
        self.imports: list[Import] = []
        self.lazy_labels: list[tuple[int, str, str]] = []  # line, label, function
        self.functions: list[Function] = []

    @property
    def function(self) -> str:
        return ".".join(self.scope) if self.functions_open else ""

    # scope
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        self.functions.append(
            Function(
                self.source.path,
                node.lineno,
                ".".join(self.scope),
                node.end_lineno - node.lineno + 1,
            )
        )
        self.functions_open += 1
        self.generic_visit(node)
        self.functions_open -= 1
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    # imports
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.record(node.lineno, alias.name, False)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._absolute(node.level, node.module)
        if base is None:
            return
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            if alias.name != "*" and candidate in self.known:
                self.record(node.lineno, candidate, False)
            else:
                self.record(node.lineno, base, False)

    def _absolute(self, level: int, module: str | None) -> str | None:
        if level == 0:
            return module
        package = self.source.module
        if not self.source.is_package:
            package = package.rpartition(".")[0]
        parts = package.split(".") if package else []
        if level - 1 > len(parts):
            return None
        parts = parts[: len(parts) - (level - 1)]
        if module:
            parts.append(module)
        return ".".join(parts) or None

    # string references
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        strings = [
            arg.value
            for arg in node.args[:2]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        ]
        if name in {"import_module", "__import__"} and strings:
            if not strings[0].startswith("."):
                self.record(node.lineno, strings[0], True)
        elif name in LAZY_MODEL_CALLS:
            for keyword in node.keywords:
                if keyword.arg == "to" and isinstance(keyword.value, ast.Constant):
                    strings.insert(0, keyword.value.value)
            if strings and isinstance(strings[0], str):
                reference = strings[0]
                if "." in reference:
                    self.lazy_labels.append(
                        (node.lineno, reference.split(".")[0], self.function)
                    )
                elif name == "get_model":
                    self.lazy_labels.append((node.lineno, reference, self.function))
        self.generic_visit(node)

    def record(self, line: int, dotted: str, lazy: bool) -> None:
        if not self.source.module or dotted.split(".")[0] not in self.first_party:
            return
        target = dotted
        while target and target not in self.known:
            target = target.rpartition(".")[0]
        self.imports.append(
            Import(
                self.source.path,
                line,
                self.source.module,
                target or dotted,
                self.function,
                lazy,
            )
        )


def read_source(root: Path, path: Path, module: str, package: bool) -> SourceFile:
    relative = path.relative_to(root).as_posix()
    text = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(text, filename=relative)
    except SyntaxError:
        tree = None
    return SourceFile(relative, module, package, len(text.splitlines()), tree)


def load(root: Path = ROOT, doc: Path | None = None) -> Tree:
    """Read the doc (root/docs/architecture.md by default) and every python file of
    the tree, once."""
    root = Path(root)
    problems: list[Violation] = []
    doc = Path(doc) if doc is not None else root / DOC
    text = doc.read_text(encoding="utf-8") if doc.is_file() else ""
    if not text:
        problems.append(Violation("apps", str(DOC), "missing"))
    layers, found = parse_layers(text)
    allowlist, more = parse_allowlist(text)
    problems += found + more
    apps, labels = discover_apps(root)

    application = set(app_roots(root)) | {TOP}
    sources: list[SourceFile] = []
    modules: dict[str, SourceFile] = {}
    for path in walk_py(root):
        relative = path.relative_to(root)
        in_application = relative.parts[0] in application and len(relative.parts) > 1
        module, package = module_name(relative) if in_application else ("", False)
        source = read_source(root, path, module, package)
        sources.append(source)
        if source.tree is None:
            problems.append(Violation("size", source.path, "cannot be parsed"))
        elif module:
            modules[module] = source

    imports: list[Import] = []
    functions: list[Function] = []
    known = set(modules)
    for source in sources:
        if source.tree is None:
            continue
        collector = _Collector(source, known, application)
        collector.visit(source.tree)
        functions += collector.functions
        imports += collector.imports
        if not source.module:
            continue
        for line, label, function in collector.lazy_labels:
            if label in labels:
                app = labels[label]
                target = f"{app}.models" if f"{app}.models" in known else app
                imports.append(
                    Import(source.path, line, source.module, target, function, True)
                )
    imports = list(dict.fromkeys(imports))  # one per (file, line, target)
    return Tree(
        root=root,
        layers=layers,
        apps=apps,
        labels=labels,
        sources=sources,
        modules=modules,
        imports=imports,
        functions=functions,
        allowlist=allowlist,
        problems=problems,
    )


# --- The rules -------------------------------------------------------------------


def check_apps(tree: Tree) -> list[Violation]:
    """Every app package is in the layers block, and the block names only apps."""
    out = [v for v in tree.problems if v.rule == "apps"]
    named = {app for layer in tree.layers for app in layer}
    for app in tree.apps:
        if app not in named and tree.layers:
            where = f"{app.replace('.', '/')}/apps.py" if app != TOP else TOP
            out.append(
                Violation(
                    "apps",
                    where,
                    f"app package {app} is not in the layers block of {DOC}",
                )
            )
    for app in sorted(named - set(tree.apps)):
        out.append(
            Violation(
                "apps",
                str(DOC),
                f"the layers block names {app}, which is not an app package "
                f"(no {app.replace('.', '/')}/apps.py)",
            )
        )
    for name, source in sorted(tree.modules.items()):
        if tree.app_of(name) is None:
            out.append(Violation("apps", source.path, f"{name} is in no app package"))
    return out


def check_layers(tree: Tree) -> list[Violation]:
    """An app imports itself and apps of strictly lower layers, nothing else."""
    rank = tree.rank
    out = []
    for imp in tree.imports:
        importer, imported = tree.app_of(imp.importer), tree.app_of(imp.target)
        if importer is None or imported is None or importer == imported:
            continue
        if importer not in rank or imported not in rank:
            continue  # reported by check_apps
        if rank[imported] < rank[importer]:
            continue
        if rank[imported] == rank[importer]:
            rule = "apps in the same layer may not import each other"
        else:
            rule = "an app may only import apps in lower layers"
        how = "refers to" if imp.lazy else "imports"
        inside = f" (inside {imp.function})" if imp.function else ""
        out.append(
            Violation(
                "layers",
                f"{imp.path}:{imp.line}",
                f"{importer} (layer {rank[importer]}) {how} {imp.target} of "
                f"{imported} (layer {rank[imported]}){inside}: {rule}",
            )
        )
    return out


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def enter(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)

    for start in sorted(graph):
        if start in index:
            continue
        enter(start)
        work = [(start, iter(sorted(graph[start])))]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    enter(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def shortest_cycle(graph: dict[str, set[str]], start: str, within: set[str]):
    """The shortest path start -> ... -> start inside one component."""
    parents: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in sorted(graph.get(node, ())):
            if successor not in within:
                continue
            if successor == start:
                path = [node]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if successor not in parents:
                parents[successor] = node
                queue.append(successor)
    return [start, start]


def check_cycles(tree: Tree) -> list[Violation]:
    """No cycle among first-party modules, counting imports inside functions."""
    graph: dict[str, set[str]] = {name: set() for name in tree.modules}
    where: dict[tuple[str, str], Import] = {}
    for imp in tree.imports:
        if imp.lazy or imp.target not in tree.modules or imp.target == imp.importer:
            continue
        graph[imp.importer].add(imp.target)
        where.setdefault((imp.importer, imp.target), imp)
    out = []
    for component in strongly_connected(graph):
        if len(component) < 2:
            continue
        cycle = shortest_cycle(graph, component[0], set(component))
        steps = " -> ".join(
            f"{a} ({where[a, b].path}:{where[a, b].line})"
            for a, b in zip(cycle, cycle[1:], strict=False)
        )
        out.append(
            Violation(
                "cycles",
                tree.modules[component[0]].path,
                f"import cycle among {len(component)} modules: "
                f"{', '.join(component)}; for example {steps} -> {cycle[-1]}",
            )
        )
    return out


def check_sizes(tree: Tree) -> list[Violation]:
    """File and function lengths, and no app with too large a share of the lines."""
    out = [v for v in tree.problems if v.rule == "size"]
    for source in tree.sources:
        if source.lines > MAX_FILE_LINES:
            out.append(
                Violation(
                    "size",
                    source.path,
                    f"{source.lines} lines; the limit is {MAX_FILE_LINES}",
                )
            )
    long = {}
    for function in tree.functions:
        key = (function.path, function.qualname)
        long[key] = function.lines
        if function.lines > MAX_FUNCTION_LINES and key not in tree.allowlist:
            out.append(
                Violation(
                    "size",
                    f"{function.path}:{function.line}",
                    f"{function.qualname} is {function.lines} lines long; the "
                    f"limit is {MAX_FUNCTION_LINES} (or a reasoned entry in the "
                    f"size-exceptions block of {DOC})",
                )
            )
    for (path, name), _reason in sorted(tree.allowlist.items()):
        if long.get((path, name), 0) <= MAX_FUNCTION_LINES:
            state = "does not exist" if (path, name) not in long else "is short now"
            out.append(
                Violation(
                    "size",
                    str(DOC),
                    f"size exception {path}:{name} {state}: remove the entry",
                )
            )
    out += check_shares(tree)
    return out


def app_lines(tree: Tree) -> dict[str, int]:
    """Python lines per app, each nested app counted on its own."""
    lines: dict[str, int] = {}
    for name, source in tree.modules.items():
        app = tree.app_of(name)
        if app is not None:
            lines[app] = lines.get(app, 0) + source.lines
    return lines


def check_shares(tree: Tree) -> list[Violation]:
    lines = app_lines(tree)
    total = sum(lines.values())
    out = []
    for app, count in sorted(lines.items()):
        if total and count / total > MAX_APP_SHARE:
            out.append(
                Violation(
                    "size",
                    app.replace(".", "/"),
                    f"app {app} holds {count / total:.0%} of the application's "
                    f"python lines ({count} of {total}); the limit is "
                    f"{MAX_APP_SHARE:.0%}",
                )
            )
    return out


RULES = {
    "apps": check_apps,
    "layers": check_layers,
    "cycles": check_cycles,
    "size": check_sizes,
}


def check(root: Path = ROOT, doc: Path | None = None) -> dict[str, list[Violation]]:
    tree = load(root, doc)
    return {rule: checker(tree) for rule, checker in RULES.items()}


def main(argv: list[str]) -> int:
    """``python -m tests.architecture [ROOT [DOC]]``"""
    started = time.perf_counter()
    root = Path(argv[0]) if argv else ROOT
    doc = Path(argv[1]) if len(argv) > 1 else None
    results = check(root, doc)
    elapsed = time.perf_counter() - started
    total = 0
    for rule, violations in results.items():
        total += len(violations)
        print(f"== {rule}: {len(violations)} violation(s)")
        for violation in violations:
            print(f"  {violation}")
    print(f"{total} violation(s) in {elapsed:.2f} s")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
