"""The Mermaid renderer: every diagram kind drawn by the official library in headless Chromium, labels as SVG
text, the document theme applied, Mermaid's own syntax errors at the right line, nothing loaded from the
network, one browser per process, and a diagram that hangs stopped at its deadline.

Tests that draw need Node.js, Chromium and the npm packages of scripts/renderers (`make setup`); they skip
without them, unless DESIGNEXPORT_REQUIRE_RENDERERS=1 (CI), where a missing piece fails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

import exporter.diagram.external.mermaid as mermaid_module
from exporter.diagram.external.mermaid import (
    MermaidRenderer,
    crash_failure,
    mermaid_config,
    processes_naming,
    running_driver,
    source_lines_by_parsed_line,
    stop_driver,
    syntax_failure,
)
from exporter.diagram.external.renderer import (
    DiagramSource,
    RenderedSvg,
    RenderFailure,
    RenderLimits,
    RenderOutcome,
    RenderTheme,
)
from tests.conftest import CORPUS_DOCS, require_corpus
from tests.loopback import CountingServer

pytestmark = pytest.mark.xdist_group("mermaid")  # one worker, one browser for every test here

KINDS_DOCUMENT = Path(__file__).parent / "fixtures" / "code-diagrams" / "mermaid-kinds.md"
CORPUS_WITH_MERMAID = ("kep-4639", "rust-3691", "cortex-partition", "ocm-231")
SVG = "{http://www.w3.org/2000/svg}"
KINDS = ("flowchart", "sequenceDiagram", "classDiagram", "stateDiagram-v2", "erDiagram", "gantt", "pie")
KINDS += ("mindmap", "timeline", "gitGraph")

# Two labels of each diagram of mermaid-kinds.md, in order: each must be found in the SVG as text.
KINDS_LABELS = [
    ("API gateway", "Payment provider"),
    ("Region eu-west-1", "streaming replication"),
    ("Order service", "Append OrderPlaced"),
    ("Payment worker", "Back off exponentially"),
    ("OrderLine", "contains"),
    ("OrderRepository", "decorates"),
    ("Pending", "ParcelDispatched"),
    ("Attempt", "Three declines"),
    ("ORDER_LINE", "appears in"),
    ("PAYMENT", "is tried by"),
    ("Order service migration", "Dual writes in monolith"),
    ("Cut-over on-call rota", "Go / no-go review"),
    ("Requests by endpoint", "POST /orders"),
    ("Checkout latency budget (ms)", "Payment provider"),
    ("Order service", "Exactly-once payments"),
    ("Event log requirements", "Archive to object storage"),
    ("Order service history", "Checkout latency incident"),
    ("Rollout by region", "eu-west-1 canary"),
    ("Event log schema", "Release 4.2"),
    ("Fix double charge", "release-4.2"),
]


# ---------------------------------------------------------------- helpers


def mermaid_blocks(path: Path) -> list[tuple[int, str]]:
    """(line of the fence, source) of each ```mermaid block of a Markdown file."""
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    return [
        (token.map[0] + 1, token.content)
        for token in tokens
        if token.type == "fence" and token.map and token.info.strip().split()[:1] == ["mermaid"]
    ]


def drawing_renderer() -> MermaidRenderer:
    renderer = MermaidRenderer()
    missing = renderer.missing()
    if missing is not None:
        if os.environ.get("DESIGNEXPORT_REQUIRE_RENDERERS") == "1":
            pytest.fail(f"DESIGNEXPORT_REQUIRE_RENDERERS=1 but {missing}")
        pytest.skip(missing)
    return renderer


def render(*sources: str, theme: RenderTheme | None = None, limits: RenderLimits | None = None) -> list[RenderOutcome]:
    diagrams = [DiagramSource(text, f"diagram-{index}") for index, text in enumerate(sources)]
    return drawing_renderer().render(diagrams, theme or RenderTheme(), limits or RenderLimits())


def svg_of(outcome: RenderOutcome) -> str:
    assert isinstance(outcome, RenderedSvg), outcome
    return outcome.svg.decode("utf-8")


def text_labels(svg: str) -> list[str]:
    """What each <text> element of the SVG says, its <tspan>s (words or wrapped lines) joined by spaces."""
    root = ET.fromstring(svg)
    return [" ".join(" ".join(text.itertext()).split()) for text in root.iter(f"{SVG}text")]


def unsafe_parts(svg: str) -> list[str]:
    """Script, event handlers, HTML islands and loading CSS left in an SVG."""
    found = []
    for element in ET.fromstring(svg).iter():
        name = element.tag.rpartition("}")[2]
        if name in ("script", "foreignObject"):
            found.append(name)
        found += [attribute for attribute in element.attrib if attribute.rpartition("}")[2].lower().startswith("on")]
    found += re.findall(r"@import|url\(\s*['\"]?(?!#)[^)]*\)", svg)
    return found


@pytest.fixture(scope="module")
def kinds_outcomes() -> list[tuple[str, RenderOutcome]]:
    sources = [source for _, source in mermaid_blocks(KINDS_DOCUMENT)]
    return list(zip(sources, render(*sources), strict=True))


@pytest.fixture
def fresh_driver() -> Iterator[None]:
    """The test starts its own driver (with its environment and settings) and leaves none behind for the next."""
    drawing_renderer()
    stop_driver()
    yield
    stop_driver()


@pytest.fixture
def loopback_server() -> Iterator[CountingServer]:
    with CountingServer() as server:
        yield server


# ---------------------------------------------------------------- every kind, as text


def test_the_fixture_has_two_diagrams_of_every_kind() -> None:
    first_words = [source.split()[0] for _, source in mermaid_blocks(KINDS_DOCUMENT)]
    assert {kind: first_words.count(kind) for kind in KINDS} == dict.fromkeys(KINDS, 2)
    assert len(first_words) == len(KINDS_LABELS)


def test_every_kind_renders_with_its_labels_as_svg_text(kinds_outcomes: list[tuple[str, RenderOutcome]]) -> None:
    for (source, outcome), labels in zip(kinds_outcomes, KINDS_LABELS, strict=True):
        svg = svg_of(outcome)
        said = " | ".join(text_labels(svg))
        for label in labels:
            assert label in said, f"{label!r} is not SVG text in the {source.split()[0]} diagram: {said[:300]}"
        assert unsafe_parts(svg) == [], source.split()[0]


def test_words_of_a_label_share_one_text_span(kinds_outcomes: list[tuple[str, RenderOutcome]]) -> None:
    """Mermaid writes a span per word; viewers that trim each span (librsvg, for Word's picture) would run the
    words together, so they are merged."""
    svg = svg_of(kinds_outcomes[1][1])
    spans = ["".join(span.itertext()) for span in ET.fromstring(svg).iter(f"{SVG}tspan")]
    assert "Region eu-west-1" in spans


def test_a_mindmap_root_label_is_centred_in_its_node(kinds_outcomes: list[tuple[str, RenderOutcome]]) -> None:
    """Mermaid 11 starts it at the node's middle when labels are SVG text; it must sit across the middle."""
    for index in (14, 15):
        root = ET.fromstring(svg_of(kinds_outcomes[index][1]))
        [node] = [group for group in root.iter(f"{SVG}g") if "section-root" in group.get("class", "").split()]
        [label] = [group for group in node if group.get("class") == "label"]
        shift = re.match(r"translate\(\s*([-0-9.e]+)", label.get("transform", ""))
        assert shift is not None and float(shift[1]) < -10, label.get("transform")


def test_theme_font_and_colours_are_in_the_svg() -> None:
    theme = RenderTheme(font_family="'Test Serif Face', serif", fill="#abcdef", line="#123456", text="#654321")
    svg = svg_of(render("flowchart LR\n    Gateway --> Orders", theme=theme)[0]).lower()
    assert "test serif face" in svg
    for colour in ("#abcdef", "#123456", "#654321"):
        assert colour in svg, colour


# ---------------------------------------------------------------- syntax errors


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("flowchart TD\n    A --> B\n    B -->\n", 3),
        ('%%{init: {"theme": "forest"}}%%\nflowchart TD\n    A --> B\n    B -->\n', 4),
        ("---\ntitle: Write path\n---\nflowchart TD\n    %% the distributor\n    A --> B\n    B -->\n", 7),
        ("sequenceDiagram\n    %% callers\n    A->>B: hello\n    A-x>>B\n", 4),
    ],
)
def test_a_syntax_error_names_its_line_in_the_source(source: str, line: int) -> None:
    failure = render(source)[0]
    assert isinstance(failure, RenderFailure)
    assert (failure.kind, failure.line) == ("syntax", line)
    assert failure.message.startswith(f"Parse error on line {line}: expecting ")
    assert "\n" not in failure.message


def test_a_syntax_error_in_a_langium_diagram_names_its_line() -> None:
    failure = render('pie title Pets\n    %% counted in March\n    "Dogs" : 386\n    "Cats" : many\n')[0]
    assert isinstance(failure, RenderFailure)
    assert (failure.kind, failure.line) == ("syntax", 4)
    assert "line 4" in failure.message and "\n" not in failure.message


def test_an_unknown_diagram_kind_is_a_syntax_error_at_its_first_line() -> None:
    failure = render("%% a comment\nflowchat LR\n    A --> B\n")[0]
    assert isinstance(failure, RenderFailure)
    assert (failure.kind, failure.line) == ("syntax", 2)
    assert "flowchat" in failure.message


def test_a_directive_cannot_bring_html_labels_back() -> None:
    turned_on = '"htmlLabels": true, "flowchart": {"htmlLabels": true}, "securityLevel": "loose"'
    sources = (
        f"%%{{init: {{{turned_on}}}}}%%\nflowchart LR\n    A[Alpha label] --> B[Beta label]",
        "---\nconfig:\n  htmlLabels: true\n  flowchart:\n    htmlLabels: true\n---\n"
        "flowchart LR\n    A[Alpha label] --> B[Beta label]",
        f"%%{{init: {{{turned_on}}}}}%%\nclassDiagram\n    class Alpha_label\n    Alpha_label --> Beta",
    )
    for source, outcome in zip(sources, render(*sources), strict=True):
        svg = svg_of(outcome)
        assert "foreignObject" not in svg, source
        assert any("Alpha" in label for label in text_labels(svg)), source


# ---------------------------------------------------------------- no network, no script


@pytest.mark.parametrize("isolated", [True, False], ids=["as-configured", "without-network-namespace"])
@pytest.mark.usefixtures("fresh_driver")
def test_nothing_reaches_a_loopback_server(
    loopback_server: CountingServer, monkeypatch: pytest.MonkeyPatch, isolated: bool
) -> None:
    """Without a network namespace too (systems without user namespaces), the browser's own walls hold."""
    if not isolated:
        monkeypatch.setattr(mermaid_module, "network_isolation", lambda: ())
    url = loopback_server.url
    sources = (
        f"flowchart LR\n    A[\"<img src='{url}/x.png'> remote image\"] --> B",
        f'flowchart LR\n    A --> B\n    click A href "{url}/" "Open the dashboard"',
        'flowchart LR\n    A --> B\n    click A callback "Run a callback"',
        f'%%{{init: {{"themeCSS": "@import url({url}/x.css);"}}}}%%\nflowchart LR\n    A --> B',
        f'%%{{init: {{"fontFamily": "url({url}/font.woff)"}}}}%%\nflowchart LR\n    A --> B',
        f'%%{{init: {{"themeVariables": {{"fontFamily": "url({url}/f.woff)", "primaryColor": "url({url}/c)"}}}}}}%%\n'
        "flowchart LR\n    A --> B",
        f'---\nconfig:\n  themeCSS: "@import url({url}/front.css);"\n---\nflowchart LR\n    A --> B',
        f"sequenceDiagram\n    A->>B: hello\n    link A: Dashboard @ {url}/dashboard",
    )
    outcomes = render(*sources)
    render("flowchart LR\n    A --> B")  # a further round trip: anything the page started has had its chance
    time.sleep(0.5)
    assert loopback_server.requests == []
    for source, outcome in zip(sources, outcomes, strict=True):
        assert unsafe_parts(svg_of(outcome)) == [], source


# ---------------------------------------------------------------- one browser, deadlines


def test_two_renders_share_one_driver_process() -> None:
    render("flowchart LR\n    A --> B")
    first = running_driver()
    render("sequenceDiagram\n    A->>B: hello", 'pie\n    "A" : 1')
    second = running_driver()
    assert first is not None and second is not None
    assert first.process.pid == second.process.pid


@pytest.mark.usefixtures("fresh_driver")
def test_a_hanging_driver_times_out_and_the_next_render_works(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESIGNEXPORT_MERMAID_TEST_HANG", "1")
    outcomes = render("flowchart LR\n    A --> B", "flowchart LR\n    C --> D", limits=RenderLimits(seconds=2))
    assert [(outcome.kind if isinstance(outcome, RenderFailure) else "svg") for outcome in outcomes] == [
        "timeout",
        "timeout",
    ]
    assert all(isinstance(outcome, RenderFailure) and "2 s" in outcome.message for outcome in outcomes)
    monkeypatch.delenv("DESIGNEXPORT_MERMAID_TEST_HANG")
    assert isinstance(render("flowchart LR\n    A --> B")[0], RenderedSvg)


@pytest.mark.usefixtures("fresh_driver")
def test_a_timeout_kills_the_hung_driver_and_its_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[mermaid_module.Driver] = []
    start = mermaid_module.Driver.start

    def recorded_start(key: mermaid_module.DriverKey) -> mermaid_module.Driver:
        started.append(start(key))
        return started[-1]

    monkeypatch.setattr(mermaid_module.Driver, "start", recorded_start)
    monkeypatch.setenv("DESIGNEXPORT_MERMAID_TEST_HANG", "1")
    outcome = render("flowchart LR\n    A --> B", limits=RenderLimits(seconds=2))[0]
    assert isinstance(outcome, RenderFailure) and outcome.kind == "timeout"
    [hung] = started
    assert hung.browser_pid is not None
    assert processes_naming(hung.folder) == []  # Node, Chromium and all of Chromium's helpers
    assert not hung.folder.exists()


def test_the_browser_says_nothing_on_the_terminal() -> None:
    """Chromium logs plenty to stderr (D-Bus, GPU, crashpad); the user sees none of it."""
    drawing_renderer()
    program = (
        "from exporter.diagram.external.mermaid import MermaidRenderer\n"
        "from exporter.diagram.external.renderer import DiagramSource, RenderTheme, RenderLimits\n"
        "[outcome] = MermaidRenderer().render([DiagramSource('flowchart LR\\n A --> B', 'a')], RenderTheme(),"
        " RenderLimits())\n"
        "print(type(outcome).__name__)\n"
    )
    finished = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False)
    assert (finished.stdout, finished.stderr) == ("RenderedSvg\n", "")


# ---------------------------------------------------------------- what is missing


def test_missing_names_chromium_when_the_configured_one_is_not_there(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DESIGNEXPORT_CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("PUPPETEER_EXECUTABLE_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    missing = MermaidRenderer().missing()
    assert missing is not None
    assert "Chromium (DESIGNEXPORT_CHROMIUM=/nonexistent/chromium is not a program)" in missing
    assert "make setup" in missing and "\n" not in missing
    outcomes = MermaidRenderer().render([DiagramSource("flowchart LR\n A --> B", "a")], RenderTheme(), RenderLimits())
    assert outcomes == [RenderFailure("missing", missing)]


def test_missing_names_the_npm_packages_when_they_are_not_there(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DESIGNEXPORT_NODE_MODULES", str(tmp_path))
    monkeypatch.setenv("DESIGNEXPORT_CHROMIUM", sys.executable)  # a program, so that only the packages are missing
    missing = MermaidRenderer().missing()
    assert missing is not None and "npm packages" in missing and "Chromium" not in missing
    assert MermaidRenderer().version() == ""


def test_version_names_mermaid() -> None:
    assert re.fullmatch(r"mermaid \d+\.\d+\.\d+", drawing_renderer().version())


# ---------------------------------------------------------------- the corpus


def test_every_mermaid_block_of_the_corpus_renders() -> None:
    require_corpus()
    documents = [path for path in CORPUS_DOCS if path.name.startswith(CORPUS_WITH_MERMAID)]
    blocks = [(f"{path.name}:{line}", source) for path in documents for line, source in mermaid_blocks(path)]
    assert len(blocks) >= 10
    outcomes = render(*(source for _, source in blocks))
    failures = [
        f"{where}: {outcome}"
        for (where, _), outcome in zip(blocks, outcomes, strict=True)
        if not isinstance(outcome, RenderedSvg)
    ]
    assert failures == []
    for outcome in outcomes:
        assert unsafe_parts(svg_of(outcome)) == []


# ---------------------------------------------------------------- without a browser: lines and messages


def test_parsed_lines_map_back_past_front_matter_directives_and_comments() -> None:
    source = "---\ntitle: T\n---\n%%{init: {}}%%\nflowchart LR\n    %% a note\n    A --> B\n\n    B --> C\n"
    assert source_lines_by_parsed_line(source)[:4] == [5, 7, 8, 9]
    assert source_lines_by_parsed_line("flowchart LR\n    A --> B") == [1, 2]


def test_a_long_expectation_list_is_cut_short() -> None:
    message = (
        "Parse error on line 5:\n...A --> B    B -->\n--------------------^\n"
        "Expecting 'AMP', 'COLON', 'PIPE', 'TESTSTR', 'DOWN', 'DEFAULT', 'NUM', 'COMMA', got 'EOF'"
    )
    failure = syntax_failure(message, 3, "flowchart TD\n    A --> B\n    B -->\n")
    assert failure == RenderFailure(
        "syntax",
        "Parse error on line 3: expecting 'AMP', 'COLON', 'PIPE', 'TESTSTR', 'DOWN', 'DEFAULT' or 2 more, got 'EOF'",
        3,
    )


def test_a_dead_browser_says_why_in_one_line() -> None:
    out_of_memory = [
        "[12688:12688:1203/160108.434665:ERROR:third_party/blink/renderer/bindings/core/v8/v8_oom.cc:49] "
        "V8 javascript OOM (Reached heap limit).",
        "Protocol error (Runtime.callFunctionOn): Target closed",
    ]
    assert crash_failure(out_of_memory, 1024 * 1024 * 1024) == RenderFailure(
        "memory", "Mermaid ran out of memory (its JavaScript heap is capped at 512 MiB)"
    )
    node_trace = [
        "file:///x/mermaid_driver.mjs:17",
        "const puppeteer = require(join(settings.nodeModules, 'puppeteer-core'));",
        "Error: Cannot find module '/gone/puppeteer-core'",
        "    at Module._resolveFilename (node:internal/modules/cjs/loader:1140:15)",
        "Node.js v20.20.2",
    ]
    assert crash_failure(node_trace, 1024 * 1024 * 1024) == RenderFailure(
        "crash", "Mermaid's browser stopped: Error: Cannot find module '/gone/puppeteer-core'"
    )


def test_the_config_locks_what_a_directive_could_abuse() -> None:
    config = mermaid_config(RenderTheme(), "diagram-1")
    assert {"htmlLabels", "securityLevel", "themeCSS", "fontFamily", "secure"} <= set(config["secure"])
    assert (config["securityLevel"], config["htmlLabels"], config["flowchart"]["htmlLabels"]) == (
        "strict",
        False,
        False,
    )
    assert config["deterministicIDSeed"] == "diagram-1"
