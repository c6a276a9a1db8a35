"""The layering rules, computed from the import graph: which stage may import which, no cycles, and which
module owns each third-party library."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "exporter"

# A stage may import its own rank and those below: model <- safety <- read/enrich/diagram/compare/review <- render
# <- run <- cli. compare makes one tree of two versions; review reads a reviewed Word file back to source lines.
STAGE_RANK = {
    "assets": 0,
    "model": 0,
    "safety": 1,
    "read": 2,
    "enrich": 2,
    "diagram": 2,
    "compare": 2,
    "review": 2,
    "render": 3,
    "run": 4,
    "cli": 5,
    "__main__": 6,
}

# Each third-party library and the one module (or one package, ending in "/") allowed to import it.
LIBRARY_OWNERS = {
    "markdown_it": {"read/markdown.py"},
    "mdit_py_plugins": {"read/markdown.py"},
    "yaml": {"read/metadata.py"},
    "weasyprint": {"render/pdf.py"},
    "tinycss2": {"read/theme.py"},
    "pygments": {"render/highlight.py"},
    "docx": {"render/word/"},
    "lxml": {"render/word/ooxml.py", "render/word/ooxml_body.py"},  # python-docx's XML library, for raw OOXML
    "jinja2": {"render/html.py", "cli/scaffold.py"},
    "markupsafe": {"render/html.py"},
    "click": {"cli/"},
    "PIL": {"safety/images.py", "diagram/raster.py"},
    "fontTools": {"read/fonts.py"},
    "latex2mathml": {"enrich/math.py"},
    "ziamath": {"enrich/math.py"},
    "emoji": {"read/shortcodes.py"},
    "zhon": {"enrich/language.py"},
    "watchfiles": {"cli/watch.py"},
    "pathspec": {"run/batch.py"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            # `from exporter.render.word import ooxml` imports the submodule too
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@cache
def import_graph() -> dict[str, set[str]]:
    """Our modules and the modules of ours each imports (at any depth in the file, lazy imports included)."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {
        name: {imported for imported in imported_modules(path) if imported in modules and imported != name}
        for name, path in modules.items()
    }


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def modules_importing(library: str) -> set[str]:
    return {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any(name == library or name.startswith(library + ".") for name in imported_modules(path))
    }


def cycles(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> Iterator[list[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                yield from visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                yield sorted(component)

    for node in sorted(graph):
        if node not in index:
            yield from visit(node)


def test_every_module_lives_in_a_known_stage() -> None:
    top_level = {name for name in import_graph() if name.count(".") == 1 and stage(name) not in STAGE_RANK}
    assert top_level <= {"exporter.__init__", "exporter"}, top_level
    assert {stage(name) for name in import_graph()} - {"__init__"} <= set(STAGE_RANK)


def test_top_level_of_the_package_is_kept_small() -> None:
    loose = [path.name for path in PACKAGE.glob("*.py") if path.name not in {"__init__.py", "__main__.py"}]
    assert len(loose) <= 4, loose


def test_no_stage_imports_a_later_stage() -> None:
    graph = import_graph()
    backwards = [
        f"{module} -> {target}"
        for module, targets in graph.items()
        if stage(module) in STAGE_RANK
        for target in targets
        if stage(target) in STAGE_RANK and STAGE_RANK[stage(target)] > STAGE_RANK[stage(module)]
    ]
    assert backwards == []


def test_there_is_no_import_cycle() -> None:
    graph = {name: {target for target in targets if target != "exporter"} for name, targets in import_graph().items()}
    assert list(cycles(graph)) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert list(cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})) == [["a", "b", "c"]]


def test_the_tree_imports_nothing_of_ours() -> None:
    assert not any(name.startswith("exporter") for name in imported_modules(PACKAGE / "model" / "tree.py"))


def test_each_library_is_imported_by_its_owner_only() -> None:
    for library, owners in LIBRARY_OWNERS.items():
        importers = modules_importing(library)
        assert importers, library
        strays = {
            module
            for module in importers
            if module not in owners and not any(owner.endswith("/") and module.startswith(owner) for owner in owners)
        }
        assert strays == set(), library


def test_renderers_do_not_import_the_markdown_reader() -> None:
    graph = import_graph()
    for module, targets in graph.items():
        if stage(module) == "render":
            assert "exporter.read.markdown" not in targets, module


def test_the_cli_module_imports_no_heavy_library() -> None:
    """`designexport --version` and `--help` must stay instant: the backends load only when used."""
    probe = (
        "import sys, exporter.cli.main\n"
        "heavy = ['weasyprint', 'docx', 'markdown_it', 'pygments.lexers', 'PIL', 'jinja2', 'exporter.read.markdown']\n"
        "print(','.join(name for name in heavy if name in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""


def test_version_and_help_import_no_backend() -> None:
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from exporter.cli.main import main\n"
        "for args in (['--version'], ['--help'], ['export', '--help']):\n"
        "    assert CliRunner().invoke(main, args).exit_code == 0\n"
        "print(','.join(name for name in ('weasyprint', 'docx', 'markdown_it') if name in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
