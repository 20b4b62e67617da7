"""The services form a layered graph: no module of crm.services imports (at the top or inside a
function) one that imports it back, directly or through others."""
import ast
from pathlib import Path

import crm.services

SERVICES = Path(crm.services.__file__).parent


def _imported_services(path: Path) -> set[str]:
    """The crm.services modules a file imports anywhere in it (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module == "crm.services":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("crm.services."):
            found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[2] for alias in node.names if alias.name.startswith("crm.services.")}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {path.stem: path for path in SERVICES.glob("*.py") if path.stem != "__init__"}
    return {name: _imported_services(path) & modules.keys() for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as the modules along it, or None (depth-first search, three colours)."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = "open"
        path.append(name)
        for imported in sorted(graph[name]):
            if state.get(imported) == "open":
                return path[path.index(imported):] + [imported]
            if imported not in state and (found := visit(imported)):
                return found
        state[name] = "done"
        path.pop()
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_the_graph_is_read_from_the_sources():
    graph = _graph()
    assert "activity" in graph["manage"] and "visibility" in graph["requests"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_services():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])
