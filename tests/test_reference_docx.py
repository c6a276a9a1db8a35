"""A user's reference DOCX is untrusted: only its look reaches the output, and it is read within zip limits.

The hostile files are built here: python-docx's template with a custom look, then edited as a zip to
carry what a hostile template would (an attached template, an altChunk, an OLE object, an external
image, a macro project and the macro-enabled content type, an external link from the styles).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tracemalloc
import uuid
import zipfile
from pathlib import Path

import pytest
from docx import Document as open_docx
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import RGBColor

from exporter.render.word import reference
from exporter.render.word.reference import ReferenceDocxError, user_document
from tests.cli_run import run_in

MIB = 1024 * 1024
BOMB_BYTES = 200 * MIB
TRAP_URL = "http://127.0.0.1:9"  # never contacted: nothing in the output may point at it
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MACRO_MAIN_TYPE = "application/vnd.ms-word.document.macroEnabled.main+xml"
PLAIN_MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
ATTACHED_TEMPLATE = f"{REL}/attachedTemplate"
ALT_CHUNK = f"{REL}/aFChunk"
OLE_OBJECT = f"{REL}/oleObject"
IMAGE = f"{REL}/image"
HYPERLINK = f"{REL}/hyperlink"
VBA_PROJECT = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
HOSTILE_TYPES = (ATTACHED_TEMPLATE, ALT_CHUNK, OLE_OBJECT, VBA_PROJECT, "vbaData", "activeX", "customizations")
HOSTILE_PARTS = ("vbaProject", "afchunk", "oleObject", "embeddings", "activeX", "vbaData")
BRAND_COLOUR = RGBColor(0x12, 0x34, 0x56)
BRAND_STYLE = "Brand Note"

DOC = """# Reference test

Plain text, with no links, so every relationship in the output is ours.

# Part one

More text.
"""


# ---------------------------------------------------------------- building hostile references


def styled_docx() -> bytes:
    """python-docx's template with a recoloured Heading 1, a style of the user's own and some body text."""
    document = open_docx()
    document.styles["Heading 1"].font.color.rgb = BRAND_COLOUR
    document.styles.add_style(BRAND_STYLE, WD_STYLE_TYPE.PARAGRAPH).font.italic = True
    document.add_paragraph("The template's own text, which must not reach the output.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rewrite(data: bytes, edit: dict[str, bytes | None]) -> bytes:
    """The zip with entries replaced or added (bytes) or removed (None)."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            if name not in edit:
                target.writestr(name, source.read(name))
        for name, content in edit.items():
            if content is not None:
                target.writestr(name, content)
    return output.getvalue()


def add_relationships(rels: bytes, entries: str) -> bytes:
    return rels.replace(b"</Relationships>", entries.encode("utf-8") + b"</Relationships>")


def hostile_docx() -> bytes:
    data = styled_docx()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        content_types = package.read("[Content_Types].xml").decode("utf-8")
        document_rels = package.read("word/_rels/document.xml.rels")
        settings = package.read("word/settings.xml").decode("utf-8")
        document = package.read("word/document.xml").decode("utf-8")
    content_types = content_types.replace(PLAIN_MAIN_TYPE, MACRO_MAIN_TYPE).replace(
        "</Types>",
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        '<Override PartName="/word/afchunk.mht" ContentType="message/rfc822"/></Types>',
    )
    document_rels = add_relationships(
        document_rels,
        f'<Relationship Id="rIdChunk" Type="{ALT_CHUNK}" Target="afchunk.mht"/>'
        f'<Relationship Id="rIdOle" Type="{OLE_OBJECT}" Target="embeddings/oleObject1.bin"/>'
        f'<Relationship Id="rIdPic" Type="{IMAGE}" Target="{TRAP_URL}/picture.png" TargetMode="External"/>'
        f'<Relationship Id="rIdVba" Type="{VBA_PROJECT}" Target="vbaProject.bin"/>',
    )
    document = document.replace("<w:sectPr", '<w:altChunk r:id="rIdChunk"/><w:sectPr', 1)
    settings = re.sub(
        r"(<w:settings[^>]*>)",
        rf'\1<w:attachedTemplate xmlns:r="{REL}" r:id="rIdTemplate"/>'
        r'<w:docVars><w:docVar w:name="secret" w:val="from the template"/></w:docVars>',
        settings,
        count=1,
    )
    return rewrite(
        data,
        {
            "[Content_Types].xml": content_types.encode("utf-8"),
            "word/_rels/document.xml.rels": document_rels,
            "word/document.xml": document.encode("utf-8"),
            "word/settings.xml": settings.encode("utf-8"),
            "word/_rels/settings.xml.rels": add_relationships(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>',
                f'<Relationship Id="rIdTemplate" Type="{ATTACHED_TEMPLATE}" '
                f'Target="{TRAP_URL}/template.dotm" TargetMode="External"/>',
            ),
            "word/_rels/styles.xml.rels": add_relationships(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>',
                f'<Relationship Id="rIdLink" Type="{HYPERLINK}" Target="{TRAP_URL}/styles" TargetMode="External"/>',
            ),
            "word/afchunk.mht": b"MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<p>chunk</p>",
            "word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0 ole",
            "word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macros",
        },
    )


def bomb_docx(path: Path, entry: str = "word/media/padding.bin") -> None:
    """A real reference with one more entry: BOMB_BYTES of zeros, streamed so the test never holds them."""
    path.write_bytes(styled_docx())
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as package, package.open(entry, "w") as stream:
        block = bytes(MIB)
        for _ in range(BOMB_BYTES // MIB):
            stream.write(block)


def understate_size(path: Path, entry: str, claimed: int) -> None:
    """Makes the central directory claim `entry` unpacks to `claimed` bytes (a lying header)."""
    data = bytearray(path.read_bytes())
    name = entry.encode("utf-8")
    header = data.find(b"PK\x01\x02")
    while header >= 0:
        name_length = int.from_bytes(data[header + 28 : header + 30], "little")
        if data[header + 46 : header + 46 + name_length] == name:
            data[header + 24 : header + 28] = claimed.to_bytes(4, "little")
            path.write_bytes(bytes(data))
            return
        header = data.find(b"PK\x01\x02", header + 4)
    raise AssertionError(f"{entry} not in the directory")


def run_cli(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return run_in(folder, *arguments)


def relationships_of(package: zipfile.ZipFile) -> dict[str, str]:
    return {name: package.read(name).decode("utf-8") for name in package.namelist() if name.endswith(".rels")}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the project folder for the input sandbox
    (tmp_path / "doc.md").write_text(DOC, encoding="utf-8")
    return tmp_path


# ---------------------------------------------------------------- only the look reaches the output


def test_a_hostile_reference_lends_only_its_look(project: Path) -> None:
    (project / "brand.docx").write_bytes(hostile_docx())

    completed = run_cli(project, "doc.md", "--docx", "-o", "out", "--reference-docx", "brand.docx")

    assert completed.returncode == 0, completed.stderr
    output = project / "out" / "doc.docx"
    with zipfile.ZipFile(output) as package:
        names = package.namelist()
        for hostile in HOSTILE_PARTS:
            assert not any(hostile.casefold() in name.casefold() for name in names), (hostile, names)
        for name, rels in relationships_of(package).items():
            assert 'TargetMode="External"' not in rels, name
            assert TRAP_URL not in rels, name
            for reltype in HOSTILE_TYPES:
                assert reltype not in rels, (name, reltype)
        content_types = package.read("[Content_Types].xml").decode("utf-8")
        assert "macroEnabled" not in content_types and PLAIN_MAIN_TYPE in content_types
        every_byte = b"".join(package.read(name) for name in names)
    for leaked in (b"attachedTemplate", b"docVar", b"altChunk", TRAP_URL.encode(), b"from the template"):
        assert leaked not in every_byte, leaked
    assert b"must not reach the output" not in every_byte
    reopened = open_docx(str(output))
    assert reopened.styles["Heading 1"].font.color.rgb == BRAND_COLOUR
    assert BRAND_STYLE in [style.name for style in reopened.styles]
    headings = [p.text for p in reopened.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert headings == ["Part one"]


def test_the_reduced_reference_holds_only_look_parts(tmp_path: Path) -> None:
    path = tmp_path / "brand.docx"
    path.write_bytes(hostile_docx())
    with zipfile.ZipFile(io.BytesIO(reference.reduced_reference(path))) as package:
        assert sorted(package.namelist()) == sorted(
            [
                "[Content_Types].xml",
                "_rels/.rels",
                "word/_rels/document.xml.rels",
                "word/document.xml",
                "word/fontTable.xml",
                "word/numbering.xml",
                "word/settings.xml",
                "word/styles.xml",
                "word/theme/theme1.xml",
            ]
        )
        body = package.read("word/document.xml").decode("utf-8")
    assert "<w:p>" not in body and "<w:p " not in body and "w:sectPr" in body


def test_embedded_fonts_and_picture_bullets_stay_behind(tmp_path: Path) -> None:
    data = styled_docx()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        fonts = package.read("word/fontTable.xml").decode("utf-8")
    fonts = fonts.replace(
        "</w:font>",
        f'<w:embedRegular xmlns:r="{REL}" r:id="rIdFont" w:fontKey="{{{uuid.UUID(int=0)}}}"/></w:font>',
        1,
    )
    path = tmp_path / "fonts.docx"
    path.write_bytes(
        rewrite(
            data,
            {
                "word/fontTable.xml": fonts.encode("utf-8"),
                "word/_rels/fontTable.xml.rels": add_relationships(
                    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    b"</Relationships>",
                    f'<Relationship Id="rIdFont" Type="{REL}/font" Target="fonts/font1.odttf"/>',
                ),
                "word/fonts/font1.odttf": b"obfuscated font program",
            },
        )
    )
    with zipfile.ZipFile(io.BytesIO(reference.reduced_reference(path))) as package:
        assert not any("font1" in name for name in package.namelist())
        assert b"embedRegular" not in package.read("word/fontTable.xml")
    assert user_document(path).styles["Heading 1"].font.color.rgb == BRAND_COLOUR


# ---------------------------------------------------------------- zip limits


def refusal_and_peak_memory(reference: Path) -> tuple[pytest.ExceptionInfo[ReferenceDocxError], int]:
    """The error opening `reference` gives, and the most memory Python held while refusing it."""
    tracemalloc.start()
    try:
        with pytest.raises(ReferenceDocxError) as refused:
            user_document(reference)
        return refused, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zip_bomb_reference_is_refused_without_unpacking_it(project: Path) -> None:
    bomb = project / "bomb.docx"
    bomb_docx(bomb)
    assert bomb.stat().st_size < 2 * MIB

    refused, peak = refusal_and_peak_memory(bomb)
    assert peak < 16 * MIB, peak
    message = str(refused.value)
    assert "\n" not in message and "bomb.docx" in message and "64 MiB" in message

    completed = run_cli(project, "doc.md", "--docx", "-o", "out", "--reference-docx", "bomb.docx")
    assert completed.returncode != 0
    assert "Traceback" not in completed.stderr
    errors = [line for line in completed.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "bomb.docx" in errors[0] and "64 MiB" in errors[0], completed.stderr
    assert not (project / "out" / "doc.docx").exists()


def test_a_part_larger_than_its_header_says_is_never_unpacked_whole(tmp_path: Path) -> None:
    bomb = tmp_path / "liar.docx"
    bomb_docx(bomb, "word/styles2.xml")
    with zipfile.ZipFile(bomb) as package:
        styles = package.read("word/styles.xml")
    lying = rewrite(bomb.read_bytes(), {"word/styles.xml": None})
    with zipfile.ZipFile(io.BytesIO(lying)) as package:
        rels = package.read("word/_rels/document.xml.rels").decode("utf-8")
    bomb.write_bytes(
        rewrite(
            lying,
            {"word/_rels/document.xml.rels": rels.replace('Target="styles.xml"', 'Target="styles2.xml"').encode()},
        )
    )
    understate_size(bomb, "word/styles2.xml", len(styles))

    refused, peak = refusal_and_peak_memory(bomb)
    assert peak < 16 * MIB, peak
    assert "liar.docx" in str(refused.value) and "styles2.xml" in str(refused.value)


def test_an_oversized_part_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    """17 MiB of incompressible text in the main part: within the zip limits, over the part limit."""
    data = styled_docx()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        document = package.read("word/document.xml")
    padding = b"<!-- " + os.urandom(17 * MIB // 2).hex().encode("ascii") + b" -->"
    path = tmp_path / "padded.docx"
    path.write_bytes(rewrite(data, {"word/document.xml": document.replace(b"<w:body>", b"<w:body>" + padding, 1)}))
    with pytest.raises(ReferenceDocxError, match=r"padded\.docx.*word/document\.xml.* more than 16 MiB"):
        user_document(path)


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.docx"
    path.write_bytes(styled_docx())
    with zipfile.ZipFile(path, "a") as package:
        for number in range(reference.REFERENCE_LIMITS.max_entries):
            package.writestr(f"word/media/empty{number}.bin", b"")
    with pytest.raises(ReferenceDocxError, match=r"many\.docx.*more than 2000 entries"):
        user_document(path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not a zip at all", "not a zip package"),
        (None, "not a Word document"),
    ],
)
def test_what_is_not_a_word_package_is_refused(tmp_path: Path, content: bytes | None, reason: str) -> None:
    path = tmp_path / "odd.docx"
    if content is None:  # a zip, but a spreadsheet's
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as package:
            package.writestr(
                "[Content_Types].xml",
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Override PartName="/xl/workbook.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
            )
            package.writestr(
                "_rels/.rels",
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            )
            package.writestr("xl/workbook.xml", "<workbook/>")
        content = buffer.getvalue()
    path.write_bytes(content)
    with pytest.raises(ReferenceDocxError) as refused:
        user_document(path)
    assert "odd.docx" in str(refused.value) and reason in str(refused.value)
