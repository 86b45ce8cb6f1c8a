"""Print the import graph of the `diffdrr` package, read from the code (no import is executed).

One line per module: its line count and the diffdrr modules it imports (at any depth of the file: top level or
inside functions); a module it names as a string and imports on first use (the seam's table of backends) is marked
`(lazy)`. Then whether the graph has a cycle.

    python scripts/import_graph.py [--package diffdrr] [--root .]
"""
import argparse
import ast
from pathlib import Path


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path, name: str, package: str, modules: set) -> set:
    "The package's modules that the file at `path` (module `name`) imports."
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    here = name.split(".") if is_pkg else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here[: len(here) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for t in targets:
            while t and t not in modules:  # `from diffdrr.x import f` names module diffdrr.x
                t = t.rpartition(".")[0]
            if t and t != name and t.split(".")[0] == package and t != package:
                found.add(t)
    return found


def lazy_imports_of(path: Path, name: str, modules: set) -> set:
    "The package's modules that the file names in a string constant (imported by name on first use)."
    tree = ast.parse(path.read_text(), filename=str(path))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and n.value in modules and n.value != name and "." in n.value}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", default="diffdrr")
    ap.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    args = ap.parse_args()
    root = Path(args.root)
    files = {module_name(p, root): p for p in sorted((root / args.package).rglob("*.py")) if p.name != "_modidx.py"}
    graph = {m: sorted(imports_of(p, m, args.package, set(files))) for m, p in files.items()}
    lazy = {m: sorted(lazy_imports_of(p, m, set(files)) - set(graph[m])) for m, p in files.items()}
    width = max(map(len, graph))
    print("module".ljust(width), " lines  imports")
    total = 0
    for m in sorted(graph):
        n = len(files[m].read_text().splitlines())
        total += n
        short = [d.removeprefix(args.package + ".") for d in graph[m]]
        short += [d.removeprefix(args.package + ".") + " (lazy)" for d in lazy[m]]
        print(m.ljust(width), f"{n:6d} ", ", ".join(short) or "-")
    print("total".ljust(width), f"{total:6d}  ({len(graph)} modules, _modidx.py not counted)")
    # cycles (depth-first search)
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d in graph.get(m, []):  # import-time edges: a lazy name is looked up at run time, after every import
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    print("import cycles:", "; ".join(" -> ".join(c) for c in cycles) if cycles else "none")


if __name__ == "__main__":
    main()
