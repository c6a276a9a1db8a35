"""Layout measured in headless Chromium: each page in an iframe of a given width, probed by a script.

The exported pages forbid scripts (their Content-Security-Policy), so the probe runs in a wrapper page
that holds them as `srcdoc` frames, which share its origin.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

PROBE = """
const WORD = /[^\\s\\/\\u2e80-\\u9fff\\uac00-\\ud7af\\uf900-\\ufaff\\uff00-\\uffef-]+[\\/-]?/g;
function probe(doc, win) {
  const brokenWords = [];
  for (const cell of doc.querySelectorAll('table.data-table th, table.data-table td')) {
    const walker = doc.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('a, code, .image-missing')) continue;  // URLs and code may break anywhere
      // A break after "-" or "/" is a fair one, and so is one between CJK characters (no spaces there).
      for (const word of node.data.matchAll(WORD)) {
        const range = doc.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lineTops = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
        if (lineTops.size > 1) brokenWords.push(word[0]);
      }
    }
  }
  // Text size in px of each grid diagram, drawing (its SVG text scaled as drawn) and code block.
  const px = element => parseFloat(win.getComputedStyle(element).fontSize);
  const drawingText = svg => {
    const text = svg.querySelector('text');
    return text ? px(text) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width : null;
  };
  const diagrams = [
    ...[...doc.querySelectorAll('pre.diagram')].map(pre => ({text: px(pre), frame: pre})),
    ...[...doc.querySelectorAll('.diagram-drawing')].map(figure => ({
      text: drawingText(figure.querySelector('svg')), frame: figure})),
  ].filter(diagram => diagram.text !== null);
  const smallest = sizes => sizes.length ? Math.min(...sizes) : null;
  const diagramTextPx = smallest(diagrams.map(diagram => diagram.text));
  const codeTextPx = smallest([...doc.querySelectorAll('pre.code')].map(px));
  // A diagram may scroll inside its frame only once its text is down to the smallest readable size.
  const overflowingDiagrams = diagrams
    .filter(diagram => diagram.frame.scrollWidth > diagram.frame.clientWidth + 1 && diagram.text > 11.05).length;
  return {brokenWords, overflowingDiagrams, diagramTextPx, codeTextPx,
          pageWidth: doc.documentElement.scrollWidth, viewport: win.innerWidth};
}
"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    assert found, "Chromium is installed by `make test` (scripts/setup.sh --dev)"
    return found


def measure_layout(pages: dict[str, Path], width: int, scratch: Path) -> dict[str, dict[str, Any]]:
    """For each named page at `width` CSS pixels: words broken inside table cells, diagrams that overflow
    their frame while their text could still shrink, the smallest text of a diagram and of a code block (px,
    None without any), and the page's scroll width against the viewport."""
    framed = {name: (path.read_text(encoding="utf-8"), width) for name, path in pages.items()}
    return probe_pages(framed, PROBE, scratch / f"layout-{width}.html")


def probe_pages(pages: dict[str, tuple[str, int]], script: str, wrapper: Path) -> dict[str, dict[str, Any]]:
    """Each named page (its HTML, its frame's width in px) loaded in headless Chromium, and what `script`'s
    `probe(document, window)` returns for it, as JSON."""
    frames = "\n".join(
        f'<iframe name="{html.escape(name)}" style="border:0;width:{width}px;height:900px" '
        f'srcdoc="{html.escape(page)}"></iframe>'
        for name, (page, width) in pages.items()
    )
    wrapper.write_text(
        f"""<!doctype html><meta charset="utf-8"><body>{frames}
<script>{script}
addEventListener('load', () => {{
  const results = {{}};
  for (const frame of document.querySelectorAll('iframe')) {{
    results[frame.name] = probe(frame.contentDocument, frame.contentWindow);
  }}
  const out = document.createElement('pre');
  out.id = 'layout';
  out.textContent = JSON.stringify(results);
  document.body.append(out);
}});
</script>""",
        encoding="utf-8",
    )
    completed = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
         "--virtual-time-budget=20000", "--dump-dom", wrapper.as_uri()],
        capture_output=True, text=True, timeout=300, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    found = re.search(r'<pre id="layout">(.*?)</pre>', completed.stdout, re.DOTALL)
    assert found, f"Chromium gave no layout (exit {completed.returncode}): {completed.stderr[-400:]}"
    results: dict[str, dict[str, Any]] = json.loads(html.unescape(found.group(1)))
    return results
