"""Imports run downward only (docs/architecture.md): every module of ``appliance/`` has a
layer in :data:`LAYERS`, and no import, at module level or inside a function, reaches a
higher layer or closes a cycle.  Read from the source with ``ast``, so an import that only
runs on some path counts as much as one at the top of a file."""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

# The one table of layers, lowest first.  A module takes the layer of its longest entry
# (a package's entry covers its modules); a module under no entry fails the test.
LAYERS: list[tuple[str, list[str]]] = [
    ("basics", ["appliance", "appliance.addresses", "appliance.captures", "appliance.clock",
                "appliance.config", "appliance.dates", "appliance.dnsresolver",
                "appliance.errors", "appliance.mailids", "appliance.passwords",
                "appliance.processes", "appliance.resolving", "appliance.keyfiles",
                "appliance.settings", "appliance.tlscert"]),
    ("inbound", ["appliance.mta"]),
    ("helpdesk and outbound", ["appliance.helpdesk", "appliance.outbound",
                               "appliance.metrics"]),
    # the panel and the commands both stand on what is below; the commands also start it
    ("panel", ["appliance.webadmin"]),
    ("commands", ["appliance.commands", "appliance.backup", "appliance.doctor",
                  "appliance.initdir", "appliance.supervise"]),
    ("entry point", ["appliance.cli", "appliance.__main__"]),
]


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / "appliance").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> dict[str, int]:
    """The modules of the package that ``name`` imports anywhere, with a line of each."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            # ``from a import b``: module a.b when there is one, else a name in a
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target.startswith("appliance") and target != name:
                found.setdefault(target, node.lineno)
    return found


def layer_of(name: str) -> int | None:
    best, layer = -1, None
    for number, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, layer = len(prefix), number
    return layer


def graph() -> dict[str, dict[str, int]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def cycle(edges: dict[str, dict[str, int]]) -> list[str] | None:
    """One import cycle (its modules in order, the first repeated at the end), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_every_module_has_a_layer():
    missing = [name for name in modules() if layer_of(name) is None]
    assert not missing, f"modules without a layer in LAYERS: {missing}"


def test_imports_run_downward_only():
    edges = graph()
    upward = []
    for name, targets in sorted(edges.items()):
        for target, line in sorted(targets.items()):
            low, high = layer_of(name), layer_of(target)
            if None not in (low, high) and high > low:
                upward.append(f"{name} (line {line}, {LAYERS[low][0]}) imports {target} "
                              f"({LAYERS[high][0]})")
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_import_cycles():
    edges = graph()
    found = cycle(edges)
    assert found is None, "import cycle: " + " -> ".join(
        f"{a} (line {edges[a][b]})" for a, b in zip(found, found[1:])) + f" -> {found[-1]}"
