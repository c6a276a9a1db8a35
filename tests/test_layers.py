"""The layering rules: which modules may import which libraries."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "exporter"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def modules_importing(library: str) -> set[str]:
    return {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any(name == library or name.startswith(library + ".") for name in imported_modules(path))
    }


def test_tree_imports_nothing_of_ours() -> None:
    assert not any(name.startswith("exporter") for name in imported_modules(PACKAGE / "tree.py"))


def test_only_the_parser_imports_markdown_it() -> None:
    assert modules_importing("markdown_it") | modules_importing("mdit_py_plugins") == {"parser.py"}


def test_only_the_pdf_backend_imports_weasyprint() -> None:
    assert modules_importing("weasyprint") == {"backends/pdf.py"}


def test_only_the_theme_module_imports_tinycss2() -> None:
    assert modules_importing("tinycss2") == {"theme.py"}


def test_only_the_docx_backend_imports_docx() -> None:
    assert modules_importing("docx")
    assert all(module.startswith("backends/word/") for module in modules_importing("docx"))


def test_backends_do_not_import_the_parser() -> None:
    for path in (PACKAGE / "backends").rglob("*.py"):
        assert "exporter.parser" not in imported_modules(path), path


def test_the_cli_module_imports_no_heavy_library() -> None:
    """`designexport --version` and `--help` must stay instant: the backends load only when used."""
    probe = (
        "import sys, exporter.cli\n"
        "heavy = ['weasyprint', 'docx', 'markdown_it', 'pygments.lexers', 'PIL', 'jinja2', 'exporter.parser']\n"
        "print(','.join(name for name in heavy if name in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""


def test_version_and_help_import_no_backend() -> None:
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from exporter.cli import main\n"
        "for args in (['--version'], ['--help'], ['export', '--help']):\n"
        "    assert CliRunner().invoke(main, args).exit_code == 0\n"
        "print(','.join(name for name in ('weasyprint', 'docx', 'markdown_it') if name in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
