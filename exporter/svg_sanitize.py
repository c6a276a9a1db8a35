"""SVG images from documents, made safe to inline: no script, no event handlers, nothing loaded from elsewhere.

Documents are mailed as HTML and opened in browsers, so an SVG image keeps only drawing: scripts,
foreign HTML, `on*` handlers, links other than `#fragment` (or a small embedded PNG, JPEG or GIF)
and style sheets that import or point at other files are removed. DOCTYPE and entity declarations
(billion laughs, external entities) are refused outright, before the XML parser sees them.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

from PIL import Image as PILImage

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
KNOWN_PREFIXES = {XLINK_NS: "xlink", XML_NS: "xml"}

REMOVED_ELEMENTS = frozenset({"script", "foreignobject", "iframe", "embed", "object", "handler", "listener"})
LOADING_ELEMENTS = frozenset({"image", "feimage"})
ANIMATION_ELEMENTS = frozenset({"set", "animate", "animatemotion", "animatetransform", "animatecolor"})
EMBEDDED_IMAGE_FORMATS = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF"}
UTF8_NAMES = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})
MAX_EMBEDDED_IMAGE_BYTES = 5 * 1024 * 1024

_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
_DATA_IMAGE = re.compile(r"\Adata:image/(png|jpeg|gif)(;base64)?,(.*)\Z", re.IGNORECASE | re.DOTALL)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^)]*?)\1\s*\)", re.IGNORECASE)
_CSS_FETCHES = ("@import", "image-set(", "image(", "cross-fade(", "element(", "\\")  # "\" hides url( behind escapes


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
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise UnsafeSvgError(f"it is not well-formed XML ({error})") from None
    if _local_name(root.tag) != "svg":
        raise UnsafeSvgError("its root element is not <svg>")
    removed: list[str] = []
    _clean_tree(root, removed, max_image_pixels)
    try:
        serialized = _serialize(root)
    except RecursionError:
        raise UnsafeSvgError("it is nested too deeply") from None
    return SanitizedSvg(serialized, tuple(dict.fromkeys(removed)))


def _require_utf8(data: bytes) -> None:
    """Only UTF-8 (or ASCII), so the DOCTYPE check on the raw bytes can't be dodged by another encoding."""
    declared = _DECLARED_ENCODING.match(data)
    if b"\x00" in data or (declared and declared[1].strip().lower() not in UTF8_NAMES):
        raise UnsafeSvgError("it is not UTF-8")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsafeSvgError("it is not UTF-8") from None


def _clean_tree(root: ET.Element, removed: list[str], max_image_pixels: int) -> None:
    _clean_element(root, removed, max_image_pixels)
    pending = [root]
    while pending:  # a loop, not recursion: nesting depth is the document's choice
        element = pending.pop()
        for child in list(element):
            reason = _removal_reason(child)
            if not reason:
                _clean_element(child, removed, max_image_pixels)
                if _local_name(child.tag).lower() in LOADING_ELEMENTS and not _has_href(child):
                    reason = "image without a safe link"  # nothing left to show, and renderers complain
            if reason:
                element.remove(child)
                removed.append(reason)
            else:
                pending.append(child)


def _clean_element(element: ET.Element, removed: list[str], max_image_pixels: int) -> None:
    _clean_attributes(element, removed, max_image_pixels)
    if _local_name(element.tag) == "style" and not _is_self_contained_css(element.text or ""):
        element.text = ""
        removed.append("<style> that loads other files")


def _has_href(element: ET.Element) -> bool:
    return any(_local_name(name) == "href" for name in element.attrib)


def _removal_reason(element: ET.Element) -> str:
    if not isinstance(element.tag, str):
        return "comment"
    name = _local_name(element.tag).lower()
    if name in REMOVED_ELEMENTS:
        return f"<{_local_name(element.tag)}>"
    if name in ANIMATION_ELEMENTS:
        target = element.get("attributeName", "").lower()
        if target.startswith("on") or target.endswith("href"):
            return f"<{_local_name(element.tag)}> of {target}"
    return ""


def _clean_attributes(element: ET.Element, removed: list[str], max_image_pixels: int) -> None:
    for name, value in list(element.attrib.items()):
        local = _local_name(name).lower()
        if local.startswith("on"):
            reason = local
        elif local == "href" and not _is_safe_link(value, max_image_pixels):
            reason = "external link"
        elif name == f"{{{XML_NS}}}base":
            reason = "xml:base"
        elif not _is_self_contained_css(value):
            reason = f"{local} that loads other files"
        else:
            continue
        del element.attrib[name]
        removed.append(reason)


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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data), formats=[EMBEDDED_IMAGE_FORMATS[kind]]) as image:
                width, height = image.size
    except (binascii.Error, UnicodeEncodeError):
        return False
    except Exception:  # Pillow: DecompressionBombError, UnidentifiedImageError, struct.error...
        return False
    return width * height <= max_image_pixels


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


def _serialize(root: ET.Element) -> bytes:
    """The tree as UTF-8 XML, SVG as the default namespace and xlink as `xlink:` (ElementTree would say ns0:)."""
    prefixes = _prefixes(root)
    declarations = "".join(
        f' xmlns{":" + prefix if prefix else ""}="{escape(uri)}"' for uri, prefix in prefixes.items() if uri != XML_NS
    )
    parts: list[str] = []
    _write(root, prefixes, parts, declarations)
    return "".join(parts).encode("utf-8")


def _prefixes(root: ET.Element) -> dict[str, str]:
    used_by_elements = {_namespace(element.tag) for element in root.iter()}
    used = used_by_elements | {_namespace(name) for element in root.iter() for name in element.attrib}
    used.discard("")
    prefixes: dict[str, str] = {}
    if SVG_NS in used:
        # Unqualified elements can't share the default namespace with SVG; then SVG gets a prefix.
        prefixes[SVG_NS] = "svg" if "" in used_by_elements else ""
    for uri in sorted(used - {SVG_NS}):
        prefixes[uri] = KNOWN_PREFIXES.get(uri, f"ns{len(prefixes)}")
    return prefixes


def _qualified(name: str, prefixes: dict[str, str], *, attribute: bool) -> str:
    uri = _namespace(name)
    if not uri:
        return name
    prefix = prefixes[uri]
    if not prefix and attribute:  # an SVG-namespaced attribute: unqualified means the same
        return _local_name(name)
    return f"{prefix}:{_local_name(name)}" if prefix else _local_name(name)


def _write(element: ET.Element, prefixes: dict[str, str], parts: list[str], declarations: str = "") -> None:
    tag = _qualified(element.tag, prefixes, attribute=False)
    attributes = "".join(
        f' {_qualified(name, prefixes, attribute=True)}="{_escape_attribute(value)}"'
        for name, value in element.attrib.items()
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


def _escape_attribute(value: str) -> str:
    return escape(value, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
