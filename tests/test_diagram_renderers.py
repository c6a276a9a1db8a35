"""The Graphviz and PlantUML renderers, the sandbox they run in, and the SVG-to-PNG rasterizer, on their own:
every fixture diagram drawn with its labels as text, the theme applied, syntax errors with the right line,
sources that read files or URLs refused, nothing reaching a loopback server even past the source checks,
and a sandbox that kills, caps, forgets and hides."""

from __future__ import annotations

import io
import os
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from PIL import Image

from exporter.diagram.external import plantuml, sandbox
from exporter.diagram.external.graphviz import GraphvizRenderer
from exporter.diagram.external.plantuml import PlantumlRenderer, PreparedDiagram
from exporter.diagram.external.raster import rasterizer_missing, svg_to_png
from exporter.diagram.external.renderer import (
    DiagramRenderer,
    DiagramSource,
    RenderedSvg,
    RenderFailure,
    RenderLimits,
    RenderOutcome,
    RenderTheme,
)
from exporter.diagram.external.sandbox import network_isolation, run_sandboxed
from exporter.safety.svg import sanitize_svg
from tests.conftest import ROOT
from tests.loopback import CountingServer

FIXTURES = ROOT / "tests" / "fixtures" / "code-diagrams"
SVG_NS = "{http://www.w3.org/2000/svg}"
DEADLINE = 60.0  # seconds, for work that must finish on the busiest machine; a pass never waits for it
LIMITS = RenderLimits(seconds=DEADLINE)  # a diagram's clock takes in the JVM's start, slow on a loaded machine
THEME = RenderTheme(font_name="DejaVu Sans", font_size_px=16.0, text="#123456", line="#654321", background="#fafafa")
GIB = 1024 * 1024 * 1024
MIB = 1024 * 1024

# A few labels of each fixture diagram, in fixture order.
GRAPHVIZ_LABELS = [
    ("Gateway", "verify token", "Postgres"),
    ("Public tier", "Private tier", "Billing"),
    ("OrderLine", "quantity", "Product"),
    ("Service", "Commerce", "Payments"),
    ("Commit", "Staging", "Production"),
]
PLANTUML_LABELS = [
    ("Shopper", "submit basket", "Ledger"),
    ("Storefront", "Catalogue", "charge"),
    ("Basket", "Payment", "settles"),
    ("Receive order", "Pack parcel", "Notify customer"),
    ("Pending", "Delivered", "payment captured"),
]


# ---------------------------------------------------------------- helpers


def require(renderer: DiagramRenderer | None, name: str) -> None:
    """Skips when the program is missing; CI (DESIGNEXPORT_REQUIRE_RENDERERS=1) fails instead."""
    missing = renderer.missing() if renderer is not None else rasterizer_missing()
    if missing:
        if os.environ.get("DESIGNEXPORT_REQUIRE_RENDERERS") == "1":
            pytest.fail(f"{name} missing in CI: {missing}")
        pytest.skip(f"{name} not installed: {missing}")


@pytest.fixture
def graphviz() -> GraphvizRenderer:
    renderer = GraphvizRenderer()
    require(renderer, "Graphviz")
    return renderer


@pytest.fixture
def puml() -> PlantumlRenderer:
    renderer = PlantumlRenderer()
    require(renderer, "PlantUML")
    return renderer


@pytest.fixture
def rasterizer() -> None:
    require(None, "rsvg-convert")


def fences(path: Path) -> list[tuple[str, str]]:
    """(language, source) of each fenced block."""
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    return [(token.info.strip().lower(), token.content) for token in tokens if token.type == "fence"]


def sources(*texts: str) -> list[DiagramSource]:
    return [DiagramSource(text, f"d{number}") for number, text in enumerate(texts)]


def drawn(outcome: RenderOutcome) -> ET.Element:
    assert isinstance(outcome, RenderedSvg), outcome
    return ET.fromstring(outcome.svg)


def texts(svg: ET.Element) -> str:
    """Every <text> of the SVG, whitespace collapsed, one per line."""
    return "\n".join(" ".join("".join(text.itertext()).split()) for text in svg.iter(f"{SVG_NS}text"))


def failure(outcome: RenderOutcome) -> RenderFailure:
    assert isinstance(outcome, RenderFailure), "expected a failure, got an SVG"
    return outcome


@pytest.fixture
def server() -> Iterator[CountingServer]:
    with CountingServer(b"Alice -> Bob : fetched\n") as running:
        yield running


def fetch_from(port: int) -> list[str]:
    """A program that fetches from the loopback server, to run in the sandbox."""
    code = f"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:{port}/x', timeout=60).read())"
    return [sys.executable, "-c", code]


# ---------------------------------------------------------------- Graphviz


def test_every_graphviz_fixture_graph_draws_with_its_labels_as_text(graphviz: GraphvizRenderer) -> None:
    blocks = fences(FIXTURES / "graphviz.md")
    assert {language for language, _ in blocks} == {"dot", "graphviz"}
    outcomes = graphviz.render(sources(*(text for _, text in blocks)), RenderTheme(), LIMITS)
    assert len(outcomes) == len(GRAPHVIZ_LABELS) == 5
    for outcome, labels in zip(outcomes, GRAPHVIZ_LABELS, strict=True):
        found = texts(drawn(outcome))
        for label in labels:
            assert label in found, f"{label!r} not drawn as text in:\n{found}"


def test_graphviz_svg_passes_the_svg_cleaner(graphviz: GraphvizRenderer) -> None:
    (outcome,) = graphviz.render(sources(fences(FIXTURES / "graphviz.md")[0][1]), RenderTheme(), LIMITS)
    assert isinstance(outcome, RenderedSvg)
    assert b"<!DOCTYPE" not in outcome.svg and b"<?xml" not in outcome.svg
    assert b"Gateway" in sanitize_svg(outcome.svg, max_image_pixels=10_000_000).data


def test_graphviz_theme_applies_unless_the_graph_says_otherwise(graphviz: GraphvizRenderer) -> None:
    themed, own = graphviz.render(
        sources(
            "digraph { Alpha -> Beta }",
            'digraph {\n  bgcolor="#000000"\n  node [fontcolor="#ff0000" fontname="Courier"]\n'
            '  edge [color="#00ff00"]\n  Alpha -> Beta\n}',
        ),
        THEME,
        LIMITS,
    )
    svg = drawn(themed)
    alpha = next(text for text in svg.iter(f"{SVG_NS}text") if text.text == "Alpha")
    assert alpha.get("font-family") == "DejaVu Sans"
    assert alpha.get("fill") == "#123456"
    assert float(alpha.get("font-size", "0")) == pytest.approx(12.0)  # 16 px is 12 pt, dot's unit
    assert {path.get("stroke") for path in svg.iter(f"{SVG_NS}path")} == {"#654321"}
    assert any(polygon.get("fill") == "#fafafa" for polygon in svg.iter(f"{SVG_NS}polygon"))
    overridden = drawn(own)
    alpha = next(text for text in overridden.iter(f"{SVG_NS}text") if text.text == "Alpha")
    assert (alpha.get("fill"), alpha.get("font-family")) == ("#ff0000", "Courier,monospace")
    assert {path.get("stroke") for path in overridden.iter(f"{SVG_NS}path")} == {"#00ff00"}
    assert any(polygon.get("fill") == "#000000" for polygon in overridden.iter(f"{SVG_NS}polygon"))


def test_graphviz_syntax_error_names_the_line(graphviz: GraphvizRenderer) -> None:
    (outcome,) = graphviz.render(sources("digraph G {\n  a -> b\n  b -> -> c\n}\n"), THEME, LIMITS)
    error = failure(outcome)
    assert (error.kind, error.line) == ("syntax", 3)
    assert "syntax error" in error.message and "\n" not in error.message


def test_graphviz_html_label_error_names_the_line_in_the_graph(graphviz: GraphvizRenderer) -> None:
    (outcome,) = graphviz.render(sources("digraph {\n  a\n  b [label=<\n<b>bold</i>>]\n}"), THEME, LIMITS)
    error = failure(outcome)
    assert (error.kind, error.line) == ("syntax", 4)
    assert "label of node b" in error.message


def test_graphviz_warnings_do_not_fail_a_graph(graphviz: GraphvizRenderer) -> None:
    (outcome,) = graphviz.render(sources("digraph { Alpha [shape=nosuchshape] }"), THEME, LIMITS)
    assert "Alpha" in texts(drawn(outcome))


def test_graphviz_block_with_two_graphs_says_so(graphviz: GraphvizRenderer) -> None:
    (outcome,) = graphviz.render(sources("digraph { a }\ndigraph { b }"), THEME, LIMITS)
    assert failure(outcome).kind == "syntax"
    assert "2 graphs" in failure(outcome).message


@pytest.mark.parametrize(
    ("source", "attribute", "line"),
    [
        ('digraph {\n  a [image="/etc/passwd"]\n}', "image", 2),
        ('digraph {\n\n  node [shapefile="/etc/passwd"]\n  a\n}', "shapefile", 3),
        ('digraph {\n  imagepath="/etc"\n  a\n}', "imagepath", 2),
        ('graph {\n  fontpath = "/etc"; a\n}', "fontpath", 2),
        ('digraph {\n  stylesheet="http://127.0.0.1/x.css"\n}', "stylesheet", 2),
        ('digraph {\n  a ["ima" + "ge"="/etc/passwd"]\n}', "image", 2),  # dot joins quoted strings across +
        ('digraph {\n  "image" = "/etc/passwd"\n}', "image", 2),
        ('digraph {\n  a\n  b [label=<<TABLE><TR><TD><IMG SRC="/etc/passwd"/></TD></TR></TABLE>>]\n}', "IMG", 3),
    ],
)
def test_graphviz_sources_that_read_files_are_refused_with_their_line(
    graphviz: GraphvizRenderer, source: str, attribute: str, line: int
) -> None:
    (outcome,) = graphviz.render(sources(source), THEME, LIMITS)
    error = failure(outcome)
    assert (error.kind, error.line) == ("refused", line)
    assert attribute in error.message and f"line {line}" in error.message


def test_graphviz_file_words_in_labels_and_comments_are_not_refused(graphviz: GraphvizRenderer) -> None:
    source = (
        'digraph {\n  // image="/etc/passwd"\n  a [label="image=x"]\n  /* shapefile=y */ b [label=<<I>image</I>>]\n}'
    )
    (outcome,) = graphviz.render(sources(source), THEME, LIMITS)
    assert "image=x" in texts(drawn(outcome))


# ---------------------------------------------------------------- PlantUML


@pytest.fixture
def jvm_starts(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The PlantUML runs started, counted where PlantumlRenderer starts its JVM."""
    started: list[list[str]] = []
    real = sandbox.run_sandboxed

    def counting(argv: list[str], *args: Any, **kwargs: Any) -> sandbox.SandboxResult:
        if "-pipe" in argv:
            started.append(list(argv))
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(plantuml, "run_sandboxed", counting)
    return started


def test_every_plantuml_fixture_diagram_draws_in_one_jvm(puml: PlantumlRenderer, jvm_starts: list[list[str]]) -> None:
    blocks = fences(FIXTURES / "plantuml.md")
    assert {language for language, _ in blocks} == {"plantuml", "puml"}
    assert any("@startuml" not in text for _, text in blocks) and any("@startuml" in text for _, text in blocks)
    outcomes = puml.render(sources(*(text for _, text in blocks)), RenderTheme(), LIMITS)
    assert len(jvm_starts) == 1
    assert len(outcomes) == len(PLANTUML_LABELS) == 5
    for outcome, labels in zip(outcomes, PLANTUML_LABELS, strict=True):
        found = texts(drawn(outcome))
        for label in labels:
            assert label in found, f"{label!r} not drawn as text in:\n{found}"
        assert b"<?xml" not in outcome.svg  # type: ignore[union-attr]


def test_plantuml_theme_applies_unless_the_diagram_says_otherwise(puml: PlantumlRenderer) -> None:
    themed, own = puml.render(
        sources("Alpha -> Beta : hello", "skinparam defaultFontColor #ff0000\nAlpha -> Beta : hello"), THEME, LIMITS
    )
    svg = drawn(themed)
    alpha = next(text for text in svg.iter(f"{SVG_NS}text") if text.text == "Alpha")
    assert (alpha.get("font-family"), alpha.get("fill"), alpha.get("font-size")) == ("DejaVu Sans", "#123456", "16")
    assert b"#654321" in themed.svg.upper()  # type: ignore[union-attr]
    alpha = next(text for text in drawn(own).iter(f"{SVG_NS}text") if text.text == "Alpha")
    assert alpha.get("fill", "").lower() == "#ff0000"


def test_plantuml_syntax_errors_name_the_line_with_and_without_startuml(
    puml: PlantumlRenderer, jvm_starts: list[list[str]]
) -> None:
    outcomes = puml.render(
        sources(
            "Alice -> Bob : hi\nthis is not plantuml\n",
            "\n@startuml\nAlice -> Bob : hi\n\nthis is not plantuml\n@enduml\n",
            "@startuml\nAlice -> Bob : still drawn\n@enduml",
            "start\n:step;\nendif\nstop\n",  # PlantUML's own message: "Cannot find if"
        ),
        THEME,
        LIMITS,
    )
    assert len(jvm_starts) == 1
    lines = [(failure(outcome).kind, failure(outcome).line) for outcome in (outcomes[0], outcomes[1])]
    assert lines == [("syntax", 2), ("syntax", 5)]
    assert failure(outcomes[0]).message and "\n" not in failure(outcomes[0]).message
    assert "still drawn" in texts(drawn(outcomes[2]))
    assert failure(outcomes[3]) == RenderFailure("syntax", "Cannot find if", 3)


def test_plantuml_each_diagram_past_the_deadline_times_out_and_the_rest_still_get_an_outcome(
    puml: PlantumlRenderer, jvm_starts: list[list[str]]
) -> None:
    # No JVM prints a diagram within 50 ms of starting: the first diagram of each run times out, deterministically.
    outcomes = puml.render(sources("A -> B", "C -> D"), THEME, RenderLimits(seconds=0.05))
    assert [failure(outcome).kind for outcome in outcomes] == ["timeout", "timeout"]
    assert len(jvm_starts) == 2  # after a diagram stops the JVM, the rest get a JVM of their own


def test_plantuml_a_java_that_cannot_start_fails_every_diagram_once(
    puml: PlantumlRenderer, jvm_starts: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plantuml, "_jvm_flags", lambda *args, **kwargs: ["-XX:+DesignexportNoSuchOption"])
    outcomes = puml.render(sources("A -> B", "C -> D", "E -> F"), THEME, LIMITS)
    assert [failure(outcome).kind for outcome in outcomes] == ["crash"] * 3
    assert "DesignexportNoSuchOption" in failure(outcomes[0]).message
    assert len(jvm_starts) == 1


def test_plantuml_empty_diagrams_say_so(puml: PlantumlRenderer, jvm_starts: list[list[str]]) -> None:
    outcomes = puml.render(sources("", "@startuml\n@enduml", "' only a comment"), THEME, LIMITS)
    assert [failure(outcome).message for outcome in outcomes] == ["the diagram is empty"] * 3
    assert jvm_starts == []


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("Alice -> Bob\n!include /etc/passwd", 2),
        ("@startuml\n!include http://127.0.0.1:9/x\n@enduml", 2),
        ("!includeurl http://127.0.0.1:9/x", 1),
        ("Alice -> Bob\n\n  !include_many /etc/passwd", 3),
        ("!includesub /etc/passwd!PART", 1),
        ("!import /tmp/library.zip", 1),
        ("!theme spacelab from /etc", 1),
        ("Alice -> Bob : <img:http://127.0.0.1:9/x.png>", 1),
        ("Alice -> Bob\nnote left: <img src=/etc/passwd>", 2),
        ("sprite $logo /etc/passwd\nAlice -> Bob : <$logo>", 1),
        ('Alice -> Bob : %getenv("HOME")', 1),
        ('!if %file_exists("/etc/passwd")\nA -> B\n!endif', 1),
        ('!$data = %load_json("/etc/passwd")', 1),
        ('A -> B : %call_user_func("$f")', 1),
    ],
)
def test_plantuml_sources_that_read_files_urls_or_environment_are_refused_with_their_line(
    puml: PlantumlRenderer, jvm_starts: list[list[str]], source: str, line: int
) -> None:
    (outcome,) = puml.render(sources(source), THEME, LIMITS)
    error = failure(outcome)
    assert (error.kind, error.line) == ("refused", line)
    assert f"line {line}" in error.message
    assert jvm_starts == []  # refused before any JVM


def test_plantuml_graphviz_inside_plantuml_is_refused(puml: PlantumlRenderer) -> None:
    for source in ('@startdot\ndigraph { a [image="/etc/passwd"] }\n@enddot', "digraph G {\n  a -> b\n}"):
        (outcome,) = puml.render(sources(source), THEME, LIMITS)
        assert failure(outcome).kind == "refused"


def test_plantuml_block_with_two_diagrams_says_so(puml: PlantumlRenderer) -> None:
    (outcome,) = puml.render(sources("@startuml\nA -> B\n@enduml\n@startuml\nC -> D\n@enduml"), THEME, LIMITS)
    assert (failure(outcome).kind, failure(outcome).line) == ("syntax", 4)


def test_plantuml_sources_with_urls_send_no_request(puml: PlantumlRenderer, server: CountingServer) -> None:
    url = f"http://127.0.0.1:{server.port}"
    outcomes = puml.render(
        sources(f"!include {url}/x\nA -> B", f"!includeurl {url}/x", f"A -> B : <img:{url}/x.png>"), THEME, LIMITS
    )
    assert [failure(outcome).kind for outcome in outcomes] == ["refused"] * 3
    assert server.connections == 0


def unchecked(text: str) -> PreparedDiagram:
    """A diagram as PlantUML will read it, past the source checks that would refuse it."""
    return PreparedDiagram(f"@startuml\n{text}\n@enduml\n", theme_lines=0, first_body_line=1, last_line=1)


@pytest.mark.parametrize("namespace", ["with", "without"])
def test_plantuml_jvm_walls_hold_past_the_source_checks(
    puml: PlantumlRenderer, server: CountingServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, namespace: str
) -> None:
    """Run PlantUML through the sandbox on sources the checks refuse, with and without the network namespace:
    the JVM's own walls (proxies at a closed port, the Security Manager) must still let nothing out."""
    if namespace == "without":
        monkeypatch.setattr(sandbox, "network_isolation", lambda: ())
        assert run_sandboxed(
            fetch_from(server.port), seconds=DEADLINE, memory_bytes=None, max_output_bytes=MIB
        ).succeeded
        assert server.connections == 1, "the control request should reach the server"
        server.connections = 0
    elif not network_isolation():
        pytest.skip("no network namespace on this system")
    secret = tmp_path / "secret.txt"
    secret.write_text("Alice -> Bob : TOPSECRET\n", encoding="utf-8")
    url = f"http://127.0.0.1:{server.port}"
    launcher = plantuml._launcher()
    assert launcher is not None
    diagrams = [
        unchecked(f"!include {url}/a\nA -> B"),
        unchecked(f"!includeurl {url}/b\nA -> B"),
        unchecked(f"A -> B : <img:{url}/c.png>"),
        unchecked(f'!$picture = "<im" + "g:{url}/d.png>"\nA -> B : $picture'),  # built where no scan sees it
        unchecked(f"!include {secret}"),
        unchecked(f'!$picture = "<im" + "g:{secret}>"\nA -> B : $picture'),
    ]
    outcomes = plantuml.render_batch(launcher, diagrams, LIMITS)
    assert server.connections == 0
    assert len(outcomes) == len(diagrams)
    if plantuml._has_security_manager(launcher):  # Java before 24: files outside the private folder stay unread
        for outcome in outcomes:
            assert not isinstance(outcome, RenderedSvg) or b"TOPSECRET" not in outcome.svg
        assert isinstance(outcomes[-1], RenderFailure)


# ---------------------------------------------------------------- sandbox


def test_sandbox_kills_a_program_that_never_ends_and_its_children() -> None:
    spawn = "import subprocess; child = subprocess.Popen(['sleep', '1000']); print(child.pid, flush=True); child.wait()"
    # Long enough for the program to start its child and say so on a loaded machine, which the test then waits out.
    result = run_sandboxed([sys.executable, "-c", spawn], seconds=20, memory_bytes=None, max_output_bytes=MIB)
    assert result.timed_out and not result.succeeded and result.returncode is None
    child = int(result.stdout.split()[0])
    deadline = time.monotonic() + DEADLINE
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the program's child outlived the timeout"


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.split(")")[-1].split()[0] != "Z"


def test_sandbox_times_out_sleep() -> None:
    result = run_sandboxed(["sleep", "1000"], seconds=1, memory_bytes=None, max_output_bytes=MIB)
    assert result.timed_out and not result.succeeded


def test_sandbox_memory_cap_stops_a_program_that_allocates_too_much() -> None:
    allocate = "block = bytearray(2 * 1024 ** 3); print('allocated', len(block))"
    result = run_sandboxed([sys.executable, "-c", allocate], seconds=30, memory_bytes=256 * MIB, max_output_bytes=MIB)
    assert not result.succeeded
    assert b"allocated" not in result.stdout
    assert result.memory_exceeded


def test_sandbox_private_folder_is_home_and_cwd_and_gone_afterwards() -> None:
    script = (
        "import os, pathlib; pathlib.Path('left-behind.txt').write_text('x'); "
        "print(os.getcwd()); print(os.environ['HOME']); print(os.environ['TMPDIR'])"
    )
    result = run_sandboxed([sys.executable, "-c", script], seconds=30, memory_bytes=None, max_output_bytes=MIB)
    assert result.succeeded, result.stderr
    cwd, home, tmpdir = result.stdout.decode().split()
    assert Path(home).resolve() == Path(cwd).resolve()
    assert Path(tmpdir).resolve().parent == Path(cwd).resolve()
    assert not Path(cwd).exists()


def test_sandbox_passes_none_of_the_user_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESIGNEXPORT_TEST_SECRET", "hunter2")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    script = "import os, json; print(json.dumps(dict(os.environ)))"
    result = run_sandboxed([sys.executable, "-c", script], seconds=30, memory_bytes=None, max_output_bytes=MIB)
    assert result.succeeded, result.stderr
    assert b"hunter2" not in result.stdout
    seen = set(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)": ', result.stdout.decode()))
    assert seen - {"LC_CTYPE"} == {"PATH", "LANG", "HOME", "TMPDIR"}  # Python itself may add LC_CTYPE


def test_sandbox_stops_output_past_its_cap() -> None:
    result = run_sandboxed(["yes"], seconds=30, memory_bytes=None, max_output_bytes=100_000)
    assert result.output_exceeded and not result.succeeded
    assert len(result.stdout) < 10 * MIB


def test_sandbox_feeds_large_input_and_reads_large_output() -> None:
    data = os.urandom(3 * MIB)
    result = run_sandboxed(["cat"], data, seconds=30, memory_bytes=None, max_output_bytes=4 * MIB)
    assert result.succeeded and result.stdout == data


def test_sandbox_reports_a_missing_program() -> None:
    result = run_sandboxed(["designexport-no-such-program"], seconds=5, memory_bytes=None, max_output_bytes=MIB)
    assert result.missing and not result.succeeded
    assert "designexport-no-such-program" in result.stderr


def test_sandbox_network_namespace_keeps_loopback_out(server: CountingServer) -> None:
    if not network_isolation():
        pytest.skip("unshare --net --map-root-user does not work here; renderers rely on their own measures")
    result = run_sandboxed(fetch_from(server.port), seconds=DEADLINE, memory_bytes=None, max_output_bytes=MIB)
    assert not result.succeeded
    assert server.connections == 0


# ---------------------------------------------------------------- raster

MERMAID_LIKE = """<svg id="m1" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"
 viewBox="0 0 200 60" style="max-width: 200px;">
<style>#m1 .label {{ fill: #d00000; font-family: "DejaVu Sans", sans-serif; font-size: 16px; }}</style>
<rect x="0" y="0" width="200" height="60" fill="#ffffff"/>
<text class="label" x="10" y="38">{label}</text>
</svg>"""


def png_of(svg: str, width: float, height: float) -> Image.Image:
    png = svg_to_png(svg.encode(), width, height, LIMITS)
    assert isinstance(png, bytes), png
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(png)).convert("RGB")


def red_columns(image: Image.Image) -> list[int]:
    pixels = image.load()
    assert pixels is not None
    return [
        x
        for x in range(image.width)
        if any(_is_red(pixels[x, y]) for y in range(image.height))  # type: ignore[arg-type]
    ]


def _is_red(pixel: tuple[int, int, int]) -> bool:
    red, green, blue = pixel
    return red > 150 and green < 100 and blue < 100


@pytest.mark.usefixtures("rasterizer")
def test_png_is_drawn_at_300_dpi() -> None:
    svg = MERMAID_LIKE.format(width="100%", height="100%", label="Label")
    image = png_of(svg, 200, 60)
    assert abs(image.width - 200 * 300 / 96) <= 2 and abs(image.height - 60 * 300 / 96) <= 2
    png = svg_to_png(svg.encode(), 333.3, 100, LIMITS)
    assert isinstance(png, bytes)
    marked = Image.open(io.BytesIO(png))
    assert abs(marked.width - 333.3 * 300 / 96) <= 2
    assert marked.info["dpi"] == pytest.approx((300, 300), abs=0.1)


@pytest.mark.usefixtures("rasterizer")
def test_png_draws_text_styled_by_a_style_block_with_its_spaces() -> None:
    whole = red_columns(png_of(MERMAID_LIKE.format(width=200, height=60, label="Is it so?"), 200, 60))
    assert whole, "the text styled by the <style> block is not drawn"
    split = "<tspan>Is</tspan><tspan> it</tspan><tspan> so?</tspan>"  # how Mermaid writes a label's words
    pieces = red_columns(png_of(MERMAID_LIKE.format(width=200, height=60, label=split), 200, 60))
    assert abs((pieces[-1] - pieces[0]) - (whole[-1] - whole[0])) <= 3, "the spaces between <tspan>s were lost"


@pytest.mark.usefixtures("rasterizer")
def test_png_of_a_graphviz_graph(graphviz: GraphvizRenderer) -> None:
    (outcome,) = graphviz.render(sources("digraph { Alpha -> Beta }"), THEME, LIMITS)
    assert isinstance(outcome, RenderedSvg)
    root = ET.fromstring(outcome.svg)
    width, height = (float(root.get(name, "0").removesuffix("pt")) * 96 / 72 for name in ("width", "height"))
    png = svg_to_png(outcome.svg, width, height, LIMITS)
    assert isinstance(png, bytes)
    assert Image.open(io.BytesIO(png)).size == pytest.approx((width * 300 / 96, height * 300 / 96), abs=2)


def test_png_too_large_is_refused_before_drawing() -> None:
    result = svg_to_png(b"<svg xmlns='http://www.w3.org/2000/svg'/>", 100_000, 100_000, LIMITS)
    assert isinstance(result, RenderFailure) and result.kind == "memory"


def test_plantuml_may_read_the_license_file_beside_its_jar() -> None:
    # At some minutes of each hour PlantUML's error page looks for it; refused, the JVM stopped and every diagram
    # of the document was lost as a "crash".
    policy = plantuml._policy("/usr/bin/dot", "/usr/share/plantuml/plantuml.jar")
    assert 'permission java.io.FilePermission "/usr/share/plantuml/license.txt", "read";' in policy
    assert "permission java.net.SocketPermission" not in policy


def test_a_stopped_jvm_is_described_by_its_error_not_by_a_log_header() -> None:
    stderr = (
        "Dec 03, 2026 6:48:06 PM java.util.prefs.FileSystemPreferences$1 run\n"
        "WARNING: Created user preferences directory.\n"
        "INFO: something\n"
        'java.security.AccessControlException: access denied ("java.io.FilePermission" "/x" "read")\n'
    )
    failure = plantuml._stopped(sandbox.SandboxResult(returncode=1, stdout=b"", stderr=stderr))
    assert failure.kind == "crash"
    assert failure.message.startswith("PlantUML stopped: java.security.AccessControlException: access denied")
