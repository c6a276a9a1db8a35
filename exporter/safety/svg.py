"""SVG images from documents, made safe to inline: no script, no event handlers, nothing loaded from elsewhere.

Documents are mailed as HTML and opened in browsers, and a cleaned SVG may also be opened on its own,
so an SVG image keeps only drawing. Only elements of the SVG namespace on an allowlist stay, with
their ordinary attributes and the `xlink:href`, `xml:space` and `xml:lang` they may need; everything
else goes with its subtree: scripts, foreign HTML (whatever its prefix, inside `<foreignObject>` or
not), `on*` handlers, links other than `#fragment` (or a small embedded PNG, JPEG or GIF), and CSS
(in `<style>` or any attribute) that imports or points at anything but a fragment of the image.
Elements and attributes of other XML namespaces (editor metadata such as Inkscape's) are dropped
without a warning, since no renderer draws them; the rest of what is removed is named for a warning.

DOCTYPE and entity declarations (billion laughs, external entities) are refused outright, before
the XML parser sees them, and so is an SVG of more than MAX_ELEMENTS elements: the parse stops
there, and cleaning is one pass over the tree, so time and memory stay linear in the input.
"""

from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import escape as html_escape

from exporter.safety.images import UnreadableImage, read_header

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XHTML_NS = "http://www.w3.org/1999/xhtml"
KNOWN_PREFIXES = {XLINK_NS: "xlink", XML_NS: "xml"}

MAX_ELEMENTS = 200_000
PARSE_CHUNK_BYTES = 64 * 1024
# What an image may hold: shapes, text, paint servers, filters, structure and animation. Names are
# matched exactly, as XML does: `<SCRIPT>` is not `<script>`, and goes like any unknown element.
SVG_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "desc", "title", "metadata", "symbol", "use", "switch", "a", "view",
        "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
        "text", "tspan", "textPath",
        "image", "marker", "pattern", "clipPath", "mask", "linearGradient", "radialGradient", "stop", "style",
        "filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feConvolveMatrix",
        "feDiffuseLighting", "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood", "feFuncA",
        "feFuncB", "feFuncG", "feFuncR", "feGaussianBlur", "feImage", "feMerge", "feMergeNode", "feMorphology",
        "feOffset", "fePointLight", "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence",
        "set", "animate", "animateMotion", "animateTransform", "animateColor", "mpath",
    }
)  # fmt: skip
LOADING_ELEMENTS = frozenset({"image", "feImage"})
ANIMATION_ELEMENTS = frozenset({"set", "animate", "animateMotion", "animateTransform", "animateColor"})
# Namespaced attributes that stay; every other one belongs to an editor or another vocabulary.
KEPT_NAMESPACED_ATTRIBUTES = frozenset(
    {f"{{{XLINK_NS}}}href", f"{{{XLINK_NS}}}title", f"{{{XML_NS}}}space", f"{{{XML_NS}}}lang"}
)
UTF8_NAMES = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})
MAX_EMBEDDED_IMAGE_BYTES = 5 * 1024 * 1024

_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
_DATA_IMAGE = re.compile(r"\Adata:image/(png|jpeg|gif)(;base64)?,(.*)\Z", re.IGNORECASE | re.DOTALL)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^)]*?)\1\s*\)", re.IGNORECASE)
# CSS that fetches without url(), and "\", which hides url( or @import behind escapes.
_CSS_FETCHES = ("@import", "image-set(", "image(", "cross-fade(", "element(", "src(", "-moz-binding", "\\")


class UnsafeSvgError(ValueError):
    """The SVG can't be made safe (or isn't SVG); the message says why."""


@dataclass(frozen=True, slots=True)
class SanitizedSvg:
    data: bytes
    removed: tuple[str, ...]  # what was taken out, for a warning: "<script>", "onload", ...


def sanitize_svg(data: bytes, *, max_image_pixels: int) -> SanitizedSvg:
    """The SVG re-serialized without active or external content; UnsafeSvgError when it can't be."""
    _require_utf8(data)
    if _DECLARATION.search(data):
        raise UnsafeSvgError("it declares a DOCTYPE or entities")
    root = _parse(data)
    if _local_name(root.tag) != "svg" or _namespace(root.tag) not in (SVG_NS, ""):
        raise UnsafeSvgError("its root element is not <svg>")
    # An <svg> without a namespace is SVG the way an HTML page reads it; written back in the SVG namespace.
    cleaner = _Cleaner(_namespace(root.tag), max_image_pixels)
    cleaner.clean(root)
    try:
        serialized = serialize_svg(root)
    except RecursionError:
        raise UnsafeSvgError("it is nested too deeply") from None
    return SanitizedSvg(serialized, tuple(dict.fromkeys(cleaner.removed)))


def _require_utf8(data: bytes) -> None:
    """Only UTF-8 (or ASCII), so the DOCTYPE check on the raw bytes can't be dodged by another encoding."""
    declared = _DECLARED_ENCODING.match(data)
    if b"\x00" in data or (declared and declared[1].strip().lower() not in UTF8_NAMES):
        raise UnsafeSvgError("it is not UTF-8")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsafeSvgError("it is not UTF-8") from None


def _parse(data: bytes) -> ET.Element:
    """The tree, parsed in chunks that are counted, so an SVG over MAX_ELEMENTS is refused before it is built."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start",))
    root: ET.Element | None = None
    count = 0
    try:
        for offset in range(0, len(data), PARSE_CHUNK_BYTES):
            parser.feed(data[offset : offset + PARSE_CHUNK_BYTES])
            for event in parser.read_events():  # ("start", element): only those were asked for
                count += 1
                if root is None and isinstance(event[-1], ET.Element):
                    root = event[-1]
            if count > MAX_ELEMENTS:
                raise UnsafeSvgError(f"it has more than {MAX_ELEMENTS} elements, the most an SVG image may have")
        parser.close()
    except ET.ParseError as error:
        raise UnsafeSvgError(f"it is not well-formed XML ({error})") from None
    if root is None:
        raise UnsafeSvgError("it is not well-formed XML (no element found)")
    return root


class _Cleaner:
    """One pass over the tree: each element's children are judged once and replaced in one assignment."""

    def __init__(self, svg_namespace: str, max_image_pixels: int) -> None:
        self.svg_namespace = svg_namespace  # SVG_NS, or "" for an <svg> without a namespace
        self.max_image_pixels = max_image_pixels
        self.removed: list[str] = []

    def clean(self, root: ET.Element) -> None:
        self._clean_element(root)
        pending = [root]
        while pending:  # a loop, not recursion: nesting depth is the document's choice
            element = pending.pop()
            kept = self._kept_children(element)
            pending.extend(child for child in kept if _local_name(child.tag) != "style")

    def _kept_children(self, element: ET.Element) -> list[ET.Element]:
        """The children that stay, cleaned; the text after a removed child joins the text before it."""
        kept: list[ET.Element] = []
        loose_text: list[str] = []  # tails of removed children since the last kept one
        for child in element:
            reason = self._removal_reason(child)
            if reason is None:
                self._clean_element(child)
                reason = self._emptied_reason(child)
            if reason is None:
                self._attach_text(element, kept, loose_text)
                kept.append(child)
                continue
            if reason:
                self.removed.append(reason)
            if child.tail:
                loose_text.append(child.tail)
        self._attach_text(element, kept, loose_text)
        if len(kept) != len(element):
            element[:] = kept
        return kept

    @staticmethod
    def _attach_text(element: ET.Element, kept: list[ET.Element], loose_text: list[str]) -> None:
        if not loose_text:
            return
        if kept:
            kept[-1].tail = (kept[-1].tail or "") + "".join(loose_text)
        else:
            element.text = (element.text or "") + "".join(loose_text)
        loose_text.clear()

    def _removal_reason(self, element: ET.Element) -> str | None:
        """None to keep the element; else why it goes ("" for another vocabulary's element, removed quietly)."""
        if not isinstance(element.tag, str):  # a comment or processing instruction
            return ""
        namespace, name = _namespace(element.tag), _local_name(element.tag)
        if namespace == XHTML_NS:
            return f"HTML <{name}>"
        if namespace != self.svg_namespace:
            return "" if namespace else f"<{name}>"  # unqualified inside a namespaced <svg>: HTML would read it
        if name not in SVG_ELEMENTS:
            return f"<{name}>"
        if name in ANIMATION_ELEMENTS:
            target = element.get("attributeName", "").lower()
            if target.startswith("on") or target.endswith("href"):
                return f"<{name}> of {target}"
        return None

    def _emptied_reason(self, element: ET.Element) -> str | None:
        """Why an element cleaning left pointless must go too, else None."""
        name = _local_name(element.tag)
        if name in LOADING_ELEMENTS and not _has_href(element):
            return "image without a safe link"  # nothing left to show, and renderers complain
        if name == "style" and not _is_self_contained_css("".join(element.itertext())):
            return "<style> that loads other files"
        return None

    def _clean_element(self, element: ET.Element) -> None:
        if self.svg_namespace != SVG_NS:
            element.tag = f"{{{SVG_NS}}}{_local_name(element.tag)}"
        self._clean_attributes(element)
        if _local_name(element.tag) == "style" and len(element):
            # Only text is CSS: a child's tail would be CSS too, so the children go and their text stays.
            element.text = "".join(element.itertext())
            element[:] = []

    def _clean_attributes(self, element: ET.Element) -> None:
        for name, value in list(element.attrib.items()):
            reason = self._attribute_reason(name, value)
            if reason is None:
                continue
            del element.attrib[name]
            if reason:
                self.removed.append(reason)

    def _attribute_reason(self, name: str, value: str) -> str | None:
        """None to keep the attribute; else why it goes ("" for another vocabulary's, removed quietly)."""
        local = _local_name(name).lower()
        namespace = _namespace(name)
        if namespace and name not in KEPT_NAMESPACED_ATTRIBUTES:
            return "xml:base" if name == f"{{{XML_NS}}}base" else ""
        if local.startswith("on"):
            return local
        if local == "href":
            return None if _is_safe_link(value, self.max_image_pixels) else "external link"
        if not _is_self_contained_css(value):
            return f"{local} that loads other files"
        return None


def _has_href(element: ET.Element) -> bool:
    return any(_local_name(name) == "href" for name in element.attrib)


def _is_safe_link(value: str, max_image_pixels: int) -> bool:
    """A fragment of this SVG (#id), or an embedded PNG, JPEG or GIF that is small enough."""
    value = value.strip()
    if value.startswith("#"):
        return True
    match = _DATA_IMAGE.match(value)
    return match is not None and _is_small_image(match[1].lower(), bool(match[2]), match[3], max_image_pixels)


def _is_small_image(kind: str, is_base64: bool, payload: str, max_image_pixels: int) -> bool:
    if len(payload) > MAX_EMBEDDED_IMAGE_BYTES * 2:
        return False
    try:
        data = base64.b64decode(payload) if is_base64 else payload.encode("latin-1")
        header = read_header(data, {f"image/{kind}"})
    except (binascii.Error, UnicodeEncodeError, UnreadableImage):  # a decompression bomb is unreadable too
        return False
    return header.pixels <= max_image_pixels


def _is_self_contained_css(text: str) -> bool:
    """CSS (a <style> element or an attribute value) that points at nothing but fragments of this SVG."""
    lowered = text.lower()
    if any(marker in lowered for marker in _CSS_FETCHES):
        return False
    without_urls = _CSS_URL.sub("", lowered)
    if "url(" in without_urls:  # an unterminated or odd url( the pattern didn't take
        return False
    return all(target.strip().startswith("#") for _, target in _CSS_URL.findall(lowered))


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def _namespace(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def serialize_svg(root: ET.Element) -> bytes:
    """The tree as UTF-8 XML, SVG as the default namespace and xlink as `xlink:` (ElementTree would say ns0:)."""
    used = {_namespace(name) for element in root.iter() for name in element.attrib}
    prefixes = {SVG_NS: "", **{uri: prefix for uri, prefix in KNOWN_PREFIXES.items() if uri in used}}
    declarations = "".join(
        f' xmlns{":" + prefix if prefix else ""}="{escape(uri)}"' for uri, prefix in prefixes.items() if uri != XML_NS
    )
    parts: list[str] = []
    _write(root, prefixes, parts, declarations)
    return "".join(parts).encode("utf-8")


def _qualified(name: str, prefixes: dict[str, str]) -> str:
    uri = _namespace(name)
    prefix = prefixes.get(uri, "") if uri else ""
    return f"{prefix}:{_local_name(name)}" if prefix else _local_name(name)


def _write(element: ET.Element, prefixes: dict[str, str], parts: list[str], declarations: str = "") -> None:
    tag = _qualified(element.tag, prefixes)
    attributes = "".join(
        f' {_qualified(name, prefixes)}="{_escape_attribute(value)}"' for name, value in element.attrib.items()
    )
    parts.append(f"<{tag}{declarations}{attributes}")
    if not len(element) and not element.text:
        parts.append("/>")
    else:
        parts.append(">")
        parts.append(escape(element.text or ""))
        for child in element:
            _write(child, prefixes, parts)
        parts.append(f"</{tag}>")
    parts.append(escape(element.tail or ""))


def escape(text: str) -> str:
    """xml.sax.saxutils.escape, which is not imported: it loads urllib.request (http.client, email, ssl), 15 ms."""
    return html_escape(text, quote=False)


def _escape_attribute(value: str) -> str:
    return escape(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
