// designexport's Mermaid driver: one headless Chromium, one page, the official mermaid library injected once;
// then one JSON request a line on stdin ({ident, source, config}) and one JSON reply a line on stdout
// ({svg} or {error, kind, line}). The first line out is {ready, browserPid} once the page can draw.
//
// Run by exporter/diagram/external/mermaid.py with one argument, a JSON object:
//   {"nodeModules": folder holding mermaid and puppeteer-core, "chromium": the browser to run,
//    "userDataDir": a fresh profile folder, "privateFolder": the private folder holding it (removed when the
//    input ends), "jsHeapMb": the page's V8 heap cap}
// Nothing else is written to stdout: the Python side reads it as the protocol.

import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import readline from "node:readline";

const settings = JSON.parse(process.argv[2]);
const require = createRequire(import.meta.url);
const puppeteer = require(join(settings.nodeModules, "puppeteer-core"));
const mermaidScript = readFileSync(join(settings.nodeModules, "mermaid", "dist", "mermaid.min.js"), "utf8");

function reply(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

const browser = await puppeteer.launch({
  executablePath: settings.chromium,
  headless: true,
  pipe: true, // DevTools over a pipe: no debugging port, and Chromium quits when this process dies
  userDataDir: settings.userDataDir,
  handleSIGINT: false, // the Python side ends us; Ctrl-C in the user's terminal is its business
  args: [
    // Every request goes to a proxy that is not there (port 9, discard), loopback included.
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-gpu",
    "--no-sandbox", // Chromium's own sandbox refuses to start as root, as in containers and CI
    `--js-flags=--max-old-space-size=${settings.jsHeapMb}`,
  ],
});
const browserProcess = browser.process();
// Chromium's chatter goes where Node's goes: to the pipe the caller drains, kept for a crash message.
browserProcess?.stderr?.on("data", (chunk) => process.stderr.write(chunk));

// The end of the input is the end: the caller is done, or gone (a batch worker killed outright). Chromium is
// killed with its whole process group (puppeteer starts it in one of its own), even mid-diagram.
process.stdin.on("end", () => {
  try {
    if (browserProcess) process.kill(-browserProcess.pid, "SIGKILL");
  } catch {}
  rmSync(settings.privateFolder, { recursive: true, force: true });
  process.exit(0);
});

const [page] = await browser.pages();
await page.setRequestInterception(true);
page.on("request", (request) => {
  request.abort("blockedbyclient").catch(() => {});
});
page.on("error", () => {}); // a crashed page shows as a failed evaluate below
await page.setContent("<!doctype html><html><head><meta charset=utf-8></head><body></body></html>");
await page.addScriptTag({ content: mermaidScript });

// Runs in the page: draws one diagram, turns any HTML label into SVG text, and leaves the page empty again.
async function drawInPage({ ident, source, config }) {
  const SVG_NS = "http://www.w3.org/2000/svg";

  function errorLine(error) {
    const hash = error && error.hash;
    if (hash && hash.loc && Number.isInteger(hash.loc.first_line)) return hash.loc.first_line;
    if (hash && Number.isInteger(hash.line)) return hash.line + 1;
    const said = /\bline:? (\d+)/i.exec(String((error && error.message) || error));
    return said ? Number(said[1]) : null;
  }

  function labelLines(element) {
    // The label's text as the browser lays it out, one entry per line (<br>, paragraphs and block elements).
    const lines = element.innerText.split("\n").map((line) => line.trim());
    while (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
    while (lines.length > 1 && lines[0] === "") lines.shift();
    return lines;
  }

  function textFor(foreignObject) {
    const x = parseFloat(foreignObject.getAttribute("x")) || 0;
    const y = parseFloat(foreignObject.getAttribute("y")) || 0;
    const width = parseFloat(foreignObject.getAttribute("width")) || 0;
    const height = parseFloat(foreignObject.getAttribute("height")) || 0;
    const content = foreignObject.firstElementChild || foreignObject;
    const deepest = content.querySelector("span, p") || content;
    const style = getComputedStyle(deepest);
    const lines = labelLines(content);
    const fontSize = parseFloat(style.fontSize) || 16;
    const lineHeight = parseFloat(style.lineHeight) || fontSize * 1.5;
    const align = getComputedStyle(content).textAlign;
    const [anchor, anchorX] =
      align === "left" || align === "start"
        ? ["start", x]
        : align === "right" || align === "end"
          ? ["end", x + width]
          : ["middle", x + width / 2];
    const text = document.createElementNS(SVG_NS, "text");
    text.setAttribute("text-anchor", anchor);
    text.setAttribute("font-family", style.fontFamily);
    text.setAttribute("font-size", `${fontSize}px`);
    if (style.fontWeight !== "400") text.setAttribute("font-weight", style.fontWeight);
    if (style.fontStyle !== "normal") text.setAttribute("font-style", style.fontStyle);
    text.setAttribute("fill", style.color);
    // Lines stacked around the box's middle; a baseline sits about 0.35 em below a line's middle.
    const top = y + (height - lines.length * lineHeight) / 2;
    lines.forEach((line, index) => {
      const tspan = document.createElementNS(SVG_NS, "tspan");
      tspan.setAttribute("x", String(anchorX));
      tspan.setAttribute("y", (top + lineHeight * (index + 0.5) + fontSize * 0.35).toFixed(2));
      tspan.textContent = line;
      text.appendChild(tspan);
    });
    return text;
  }

  function sameAttributes(a, b) {
    const names = a.getAttributeNames();
    return names.length === b.attributes.length && names.every((name) => a.getAttribute(name) === b.getAttribute(name));
  }

  const POSITIONS = ["x", "y", "dx", "dy", "rotate", "textLength"];
  const plainSpan = (element) =>
    element instanceof SVGTSpanElement &&
    element.childElementCount === 0 &&
    !POSITIONS.some((name) => element.hasAttribute(name));

  function mergeWordSpans(svg) {
    // Mermaid writes each word in a <tspan> of its own, the space leading the next word's span; viewers that
    // strip each span's leading space (librsvg) run the words together, and text extraction may split them.
    // Spans that place themselves (a line of a label) stay apart.
    for (const span of [...svg.querySelectorAll("tspan")].reverse()) {
      const previous = span.previousSibling;
      if (plainSpan(previous) && plainSpan(span) && sameAttributes(previous, span)) {
        previous.textContent += span.textContent;
        span.remove();
      }
    }
  }

  function cleanStyles(svg) {
    for (const style of svg.querySelectorAll("style")) {
      style.textContent = style.textContent
        // Deep mindmap branches get a negative stroke-width, which browsers ignore and librsvg draws as no line.
        .replace(/stroke-width:\s*-[0-9.]+(px)?\s*;?/g, "")
        // A colour a directive set to a url(…) would load it wherever the SVG is shown; fragments stay.
        .replace(/@import[^;]*;?/gi, "")
        .replace(/url\(\s*(?!['"]?#)[^)]*\)/gi, "none");
    }
  }

  function centreMindmapRoot(svg) {
    // Mermaid 11 starts the root's label at the middle of its node instead of centring it there when labels
    // are SVG text (fixed in Mermaid 12, whose labels are already centred and left alone here).
    for (const label of svg.querySelectorAll("g.mindmap-node.section-root > g.label")) {
      const at = /^translate\(\s*0\s*,\s*([-0-9.e]+)\s*\)$/.exec(label.getAttribute("transform") || "");
      if (!at) continue;
      const box = label.getBBox();
      label.setAttribute("transform", `translate(${-(box.x + box.width / 2)}, ${at[1]})`);
    }
  }

  function asSvgText(markup) {
    // Parsed in the page (laid out, so styles are computed), HTML labels replaced, written back as XML.
    const holder = document.createElement("div");
    holder.innerHTML = markup;
    document.body.appendChild(holder);
    const svg = holder.querySelector("svg");
    for (const foreignObject of [...svg.querySelectorAll("foreignObject")]) {
      foreignObject.replaceWith(textFor(foreignObject));
    }
    mergeWordSpans(svg);
    centreMindmapRoot(svg);
    cleanStyles(svg);
    // Gantt's "today" line moves every day; an export of the same source should not.
    for (const today of [...svg.querySelectorAll("g.today, line.today")]) today.remove();
    return new XMLSerializer().serializeToString(svg);
  }

  try {
    mermaid.initialize({ ...config, securityLevel: "strict", startOnLoad: false, htmlLabels: false });
    const { svg } = await mermaid.render(ident, source);
    return { svg: asSvgText(svg) };
  } catch (error) {
    return { error: String((error && error.message) || error), kind: "syntax", line: errorLine(error) };
  } finally {
    document.body.replaceChildren();
  }
}

reply({ ready: true, browserPid: browserProcess ? browserProcess.pid : null });

const hang = process.env.DESIGNEXPORT_MERMAID_TEST_HANG === "1"; // tests only: a driver that never answers
const requests = readline.createInterface({ input: process.stdin });
for await (const line of requests) {
  if (hang) continue;
  const request = JSON.parse(line);
  try {
    reply(await page.evaluate(drawInPage, request));
  } catch (error) {
    // The page or the browser is gone (a crash, the heap cap): say so, and let the caller start afresh.
    reply({ error: String((error && error.message) || error).split("\n")[0], kind: "crash", line: null });
    break;
  }
}
await browser.close().catch(() => {});
process.exit(0);
