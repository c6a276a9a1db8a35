"""designexport installed the way users install it, away from this checkout: the sdist and the wheel built
from it, installed with `pip install --target` (the layout of --user, --prefix and pipx too: code and its
files under a folder that is not sys.prefix), and the same folder zipped into a zipapp.

The installed copy runs with `python -S`, so the checkout's editable install (a .pth file) cannot answer for
it, and the dependencies come from this virtualenv's site-packages through PYTHONPATH. Nothing is fetched:
the build uses this virtualenv's setuptools (--no-build-isolation).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import exporter
from exporter.diagram.external.mermaid import MermaidRenderer, find_node_modules

pytestmark = [pytest.mark.install, pytest.mark.xdist_group("install")]  # one worker builds the wheel once

CHECKOUT = Path(__file__).resolve().parents[1]
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "exporter", "styles", "templates")
SITE_PACKAGES = sysconfig.get_paths()["purelib"]  # where this virtualenv keeps the dependencies
NAME = f"designexport-{exporter.__version__}"


def run(*command: str | Path, cwd: Path, pythonpath: str = "") -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": pythonpath}
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist, built from a copy of what the build reads, so the checkout gets no build/ or egg-info."""
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        if (CHECKOUT / name).is_dir():
            shutil.copytree(CHECKOUT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(CHECKOUT / name, source / name)
    out = tmp_path_factory.mktemp("sdist")
    build = f"from setuptools import build_meta; build_meta.build_sdist({str(out)!r})"
    succeeded(run(sys.executable, "-c", build, cwd=source))
    [archive] = out.glob("*.tar.gz")
    return archive


@pytest.fixture(scope="module")
def target(sdist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the unpacked sdist (as pip does from an sdist), installed with --target."""
    unpacked = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(sdist) as archive:
        archive.extractall(unpacked, filter="data")
    wheels = tmp_path_factory.mktemp("wheels")
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input")
    succeeded(run(*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", wheels, unpacked / NAME, cwd=unpacked))
    [wheel] = wheels.glob("*.whl")
    installed = tmp_path_factory.mktemp("target")
    succeeded(run(*pip, "install", "--no-deps", "--no-index", "--target", installed, wheel, cwd=wheels))
    return installed


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An unrelated folder to run in: neither the checkout nor the install."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def designexport(target: Path, workspace: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    pythonpath = os.pathsep.join([str(target), SITE_PACKAGES])
    return run(sys.executable, "-S", "-m", "exporter", *arguments, cwd=workspace, pythonpath=pythonpath)


def test_the_sdist_builds_the_package_and_leaves_the_tests_out(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.removeprefix(f"{NAME}/") for name in archive.getnames()}
    assert {"LICENSE", "README.md", "pyproject.toml", "styles/reference.docx", "templates/document.html.j2"} <= names
    assert not any(name.startswith("tests/") for name in names)  # without ../shared and the fixtures they can't run


def test_the_wheel_holds_every_module_style_and_template(target: Path) -> None:
    def files_under(folder: Path) -> set[str]:
        return {
            path.relative_to(folder).as_posix()
            for path in folder.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        }

    package = files_under(target / "exporter")
    code = {name for name in files_under(CHECKOUT / "exporter") if name.endswith((".py", ".mjs"))}
    assert code <= package  # a subpackage left out of pyproject's list fails here
    assert {f"styles/{name}" for name in files_under(CHECKOUT / "styles")} <= package
    assert {f"templates/{name}" for name in files_under(CHECKOUT / "templates")} <= package
    assert not (target / "share").exists()  # nothing under the prefix, where --target and --user can't look


def test_the_wheel_carries_its_license_and_project_links(target: Path) -> None:
    [info] = target.glob("designexport-*.dist-info")
    metadata = (info / "METADATA").read_text(encoding="utf-8")
    assert "License-Expression: MIT" in metadata
    assert (info / "licenses" / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert "Project-URL: Issues, https://github.com/designexport/designexport/issues" in metadata


def test_the_readme_has_no_link_that_breaks_on_a_package_index() -> None:
    """A package index shows README.md without the repository around it: a relative link there leads nowhere."""
    readme = (CHECKOUT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", readme) + re.findall(r'(?:href|src)="([^"]+)"', readme)
    assert [link for link in targets if not link.startswith(("https://", "#"))] == []


def test_the_installed_copy_is_the_one_that_runs(target: Path, workspace: Path) -> None:
    pythonpath = os.pathsep.join([str(target), SITE_PACKAGES])
    probe = "import exporter; print(exporter.__file__)"
    where = succeeded(run(sys.executable, "-S", "-c", probe, cwd=workspace, pythonpath=pythonpath))
    assert Path(where.strip()).is_relative_to(target)


def test_installed_with_target_every_command_works_from_another_folder(target: Path, workspace: Path) -> None:
    assert f"designexport {exporter.__version__}" in succeeded(designexport(target, workspace, "--version"))

    succeeded(designexport(target, workspace, "new", "Payment Retry", "--req", "PAY-1"))
    document = workspace / "payment-retry.md"
    assert "PAY-1" in document.read_text(encoding="utf-8")

    succeeded(designexport(target, workspace, "payment-retry.md", "--html", "--pdf", "--docx", "-o", "out/"))
    html = (workspace / "out" / "payment-retry.html").read_text(encoding="utf-8")
    assert "Payment Retry" in html
    assert (CHECKOUT / "styles" / "screen.css").read_text(encoding="utf-8") in html  # the packaged styles were read
    pdf = (workspace / "out" / "payment-retry.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 20_000
    with zipfile.ZipFile(workspace / "out" / "payment-retry.docx") as package:
        assert "Payment Retry" in package.read("word/document.xml").decode("utf-8")
        assert len(package.read("word/styles.xml")) > 10_000  # the packaged reference.docx's styles

    report = succeeded(designexport(target, workspace, "check", "payment-retry.md"))
    # Compared against the packaged template, the untouched sections are still template text.
    assert "is still template text [boilerplate]" in report


@pytest.fixture(scope="module")
def zipapp(target: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    app = tmp_path_factory.mktemp("zipapp") / "designexport.pyz"
    command = (sys.executable, "-m", "zipapp", target, "-m", "exporter.cli:main", "-o", app)
    succeeded(run(*command, cwd=app.parent))
    return app


def from_zipapp(app: Path, workspace: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-S", app, *arguments, cwd=workspace, pythonpath=SITE_PACKAGES)


def mermaid_node_modules() -> Path:
    """Where this virtualenv's Mermaid packages are; under -S, sys.prefix is no longer the virtualenv's."""
    missing = MermaidRenderer().missing()
    if missing is not None:
        if os.environ.get("DESIGNEXPORT_REQUIRE_RENDERERS") == "1":
            pytest.fail(f"DESIGNEXPORT_REQUIRE_RENDERERS=1 but {missing}")
        pytest.skip(missing)
    found = find_node_modules()
    assert found is not None
    return found


def test_a_zipapp_of_the_install_exports_html(zipapp: Path, workspace: Path) -> None:
    assert f"designexport {exporter.__version__}" in succeeded(from_zipapp(zipapp, workspace, "--version"))
    (workspace / "note.md").write_text("# Retry note\n\nTried **three** times.\n", encoding="utf-8")
    succeeded(from_zipapp(zipapp, workspace, "note.md", "--html", "-o", "out/"))
    html = (workspace / "out" / "note.html").read_text(encoding="utf-8")
    assert "<strong>three</strong>" in html
    assert (CHECKOUT / "styles" / "screen.css").read_text(encoding="utf-8") in html


def test_a_zipapp_draws_mermaid_with_its_packaged_driver(
    zipapp: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Node can't run a script inside a zip: the driver is copied out for the run."""
    monkeypatch.setenv("DESIGNEXPORT_NODE_MODULES", str(mermaid_node_modules()))
    source = "# Flow\n\n```mermaid\ngraph LR\n  A[Charge] --> B[Retry later]\n```\n"
    (workspace / "flow.md").write_text(source, encoding="utf-8")
    output = succeeded(from_zipapp(zipapp, workspace, "flow.md", "--html", "-o", "out/"))
    html = (workspace / "out" / "flow.html").read_text(encoding="utf-8")
    assert 'aria-label="Mermaid diagram: Charge, Retry later"' in html, output
