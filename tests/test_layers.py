"""Architecture rules: imports run cli -> io -> core, and no private name crosses a module."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "regcli"
#: What each layer may import from regcli (besides itself).
ALLOWED = {
    "core": {"regcli.core"},
    "io": {"regcli.io", "regcli.core", "regcli.errors", "regcli"},
    "cli": {"regcli.cli", "regcli.io", "regcli.core", "regcli.errors", "regcli"},
}


def modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out.append((".".join(p for p in parts if p != "__init__"), path))
    return out


def regcli_imports(tree: ast.AST) -> list[tuple[str, list[str]]]:
    """(module, names) of every import of regcli, at any depth (imports inside functions too)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.split(".")[0] == "regcli"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "regcli":
                found.append((node.module, [a.name for a in node.names]))
    return found


def _within(module: str, allowed: set[str]) -> bool:
    return any(module == a or module.startswith(a + ".") for a in allowed if a != "regcli") or (
        module == "regcli" and "regcli" in allowed
    )


def test_layers_import_only_downwards():
    wrong = []
    for name, path in modules():
        parts = name.split(".")
        if len(parts) < 3 or parts[1] not in ALLOWED:
            continue
        allowed = ALLOWED[parts[1]]
        for module, _ in regcli_imports(ast.parse(path.read_text())):
            if not _within(module, allowed):
                wrong.append(f"{name} imports {module}")
    assert wrong == []


def test_core_imports_no_io_or_cli_even_lazily():
    for name, path in modules():
        if name.startswith("regcli.core"):
            text = path.read_text()
            assert "regcli.io" not in text and "regcli.cli" not in text, name


def test_no_private_name_is_imported_or_used_across_modules():
    wrong = []
    for name, path in modules():
        tree = ast.parse(path.read_text())
        bound = set()  # local names bound to regcli modules
        for module, names in regcli_imports(tree):
            for n in names:
                if n.startswith("_") and not n.startswith("__"):
                    wrong.append(f"{name}: from {module} import {n}")
                if module != name:
                    bound.add(n)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                bound.update(
                    a.asname or a.name.split(".")[0]
                    for a in node.names
                    if a.name.split(".")[0] == "regcli"
                )
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in bound
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                wrong.append(f"{name}: {node.value.id}.{node.attr}")
    assert wrong == []


def test_every_module_says_what_it_is_for_in_a_few_lines():
    long = []
    for name, path in modules():
        doc = ast.get_docstring(ast.parse(path.read_text()))
        if name.endswith("__main__") or path.stat().st_size < 200:
            continue
        if not doc:
            long.append(f"{name}: no docstring")
        elif len(doc.splitlines()) > 12 and not name.endswith(".dispatch"):  # its table
            long.append(f"{name}: {len(doc.splitlines())} lines")
    assert long == []
