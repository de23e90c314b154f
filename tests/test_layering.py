"""The package's layers (docs/architecture.md), checked on the source with ``ast``: every module imports only from
its own layer or the layers below it, there is no import cycle, no module imports another module's private
name, and no module outside ``ufldl.network`` touches a Network's private attributes.

Function-level (lazy) imports count like module-level ones: a lazy import is still a dependency.
"""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "python" / "ufldl"

# Bottom to top. A module's layer is that of the longest prefix listed here.
LAYERS = [
    ("base", ["ufldl._lib", "ufldl._core"]),
    ("file format", ["ufldl.io"]),
    ("maths", ["ufldl.layers", "ufldl.reference", "ufldl.gradcheck", "ufldl.network", "ufldl.network_state"]),
    ("training", ["ufldl.optimize", "ufldl.scale"]),
    ("estimators", ["ufldl.estimators"]),
    ("leaves", ["ufldl.preprocessing", "ufldl.datasets", "ufldl.viz", "ufldl.diagnostics", "ufldl.experiments"]),
    # The package itself re-exports every layer's public names; only the command line imports it. Beside it, the
    # compatibility modules (SHIMS), which re-export names that moved.
    ("package", ["ufldl", "ufldl.minibatch", "ufldl.training", "ufldl.autoencoder", "ufldl.classifiers",
                 "ufldl.stacked"]),
    ("cli", ["ufldl.cli", "ufldl.__main__"]),
]
# Prefixes that name one module only (not its submodules).
EXACT = {"ufldl"}
# Modules kept for users' imports only (their contents moved to ufldl.optimize and ufldl.estimators): nothing in the
# package imports them.
SHIMS = {"ufldl.minibatch", "ufldl.training", "ufldl.autoencoder", "ufldl.classifiers", "ufldl.stacked"}


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(name):
    best = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if name == prefix or (prefix not in EXACT and name.startswith(prefix + ".")):
                if best is None or len(prefix) > best[1]:
                    best = (index, len(prefix))
    return None if best is None else best[0]


def resolve(module, node):
    """The absolute module an ImportFrom node names (relative imports resolved against ``module``)."""
    if node.level == 0:
        return node.module
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports(module):
    """(target module, imported name or None, line) for every import of a ufldl module in ``module``."""
    tree = ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == "ufldl"]
        elif isinstance(node, ast.ImportFrom):
            target = resolve(module, node)
            if target and target.split(".")[0] == "ufldl":
                for a in node.names:
                    submodule = f"{target}.{a.name}"
                    if submodule in MODULES or submodule == "ufldl._core":
                        found.append((submodule, None, node.lineno))
                    else:
                        found.append((target, a.name, node.lineno))
    return found


def test_every_module_has_a_layer():
    missing = [m for m in MODULES if layer_of(m) is None]
    assert not missing, f"modules with no layer in tests/test_layering.py (add them to LAYERS): {missing}"


def test_imports_run_down_the_layers():
    upward = []
    for module in MODULES:
        own = layer_of(module)
        for target, _, line in imports(module):
            if target == module or layer_of(target) is None:
                continue
            if layer_of(target) > own:
                upward.append(f"{module}:{line} imports {target} ({LAYERS[layer_of(target)][0]} above "
                              f"{LAYERS[own][0]})")
    assert not upward, "imports up the layers:\n" + "\n".join(upward)


def test_no_import_cycle():
    graph = {m: {t for t, _, _ in imports(m) if t in MODULES and t != m} for m in MODULES}
    # A package's __init__ is imported with each of its submodules: an edge to a submodule counts as an edge
    # to its package too, except from the package itself.
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == "open":
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_nothing_imports_a_compatibility_module():
    found = [f"{module}:{line} imports {target}" for module in MODULES if module not in SHIMS
             for target, _, line in imports(module) if target in SHIMS]
    assert not found, "imports of modules kept for users only (import from ufldl.optimize):\n" + "\n".join(found)


def test_no_private_name_from_another_module():
    taken = []
    for module in MODULES:
        for target, name, line in imports(module):
            if name is None or target == module:
                continue
            if name.startswith("_") and not name.startswith("__"):
                taken.append(f"{module}:{line} imports {name} from {target}")
            # _core, the compiled module, is loaded by the base and touched by the engine's builder only.
        for target, name, line in imports(module):
            if target == "ufldl._core" and layer_of(module) != 0 and module not in ("ufldl.network", "ufldl"):
                taken.append(f"{module}:{line} imports the compiled core")
    assert not taken, "private names taken from other modules:\n" + "\n".join(taken)


def _network_private_attributes():
    tree = ast.parse(MODULES["ufldl.network"].read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Network":
            for sub in ast.walk(node):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "self":
                    names.add(sub.attr)
                elif isinstance(sub, ast.FunctionDef):
                    names.add(sub.name)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_no_network_private_attribute_outside_its_module():
    private = _network_private_attributes()
    assert {"_engine", "_theta"} <= private, "the walk over Network found too little to be checking anything"
    touched = []
    for module, path in MODULES.items():
        if module == "ufldl.network":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in private:
                if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                    continue
                touched.append(f"{module}:{node.lineno} uses .{node.attr}")
    assert not touched, "a Network's private attributes used outside ufldl/network/__init__.py:\n" + "\n".join(touched)


# A module longer than this is doing more than one job: split it (docs/architecture.md).
MAX_MODULE_LINES = 400


def test_no_module_is_too_long():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them by job): {long}"
