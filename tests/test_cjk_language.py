"""Chinese (simplified and traditional), Japanese and Korean are told apart, and each output is tagged and set in
the fonts of its own glyph forms: zh-Hans / zh-Hant / ja / ko in the HTML lang and the PDF's /Lang, Noto CJK
SC / TC / JP / KR in the HTML font stacks, the PDF's embedded fonts and the DOCX East Asian font."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader

from exporter.enrich.language import canonical_language, east_asian_region
from exporter.enrich.presentation import labels_for
from exporter.read.markdown import parse
from exporter.run.export import ExportSettings, export_document
from tests.conftest import corpus_doc

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

SIMPLIFIED = "这个设计文档说明了消息队列的存储结构和负载均衡的实现方式。我们会在下面详细说明每个组件。"
TRADITIONAL = "這個設計文件說明了訊息佇列的儲存結構與負載平衡的實作方式。我們會在下面詳細說明每個元件。"
JAPANESE = "この文書はメッセージキューの保存構造と負荷分散の実装方法について説明します。各部品の詳細は後述します。"
# Kanji-heavy Japanese: its particles and verb endings are its only kana (8 % of its letters).
JAPANESE_KANJI_HEAVY = (
    "本番環境設定変更手順書：負荷分散装置設定更新、証明書更新作業、監視項目追加対応、障害発生時連絡体制確認、"
    "関連文書改訂作業及実施計画承認手続の範囲を定めます。"
)
KOREAN = (
    "이 문서는 메시지 큐의 저장 구조와 부하 분산 구현 방식을 설명합니다. 각 구성 요소는 아래에서 자세히 설명합니다."
)
ENGLISH_WITH_CJK = (
    "The broker keeps messages in a commit log (提交日志) and serves them to consumers in order; the Japanese "
    "team calls it the ログ. Everything else in this document is English prose about the design."
)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (SIMPLIFIED, "zh-Hans"),
        (TRADITIONAL, "zh-Hant"),
        (JAPANESE, "ja"),
        (JAPANESE_KANJI_HEAVY, "ja"),
        (KOREAN, "ko"),
        (ENGLISH_WITH_CJK, "en"),
    ],
    ids=["simplified", "traditional", "japanese", "japanese-kanji-heavy", "korean", "english-with-cjk-words"],
)
def test_the_language_is_told_from_the_text(text: str, language: str) -> None:
    assert parse(f"# 标题 Title\n\n{text}\n\n{text}\n", "doc.md").language == language


def test_a_few_characters_of_the_other_chinese_script_do_not_switch_it() -> None:
    quoted_traditional = SIMPLIFIED * 3 + "（原文：「這個」）"
    assert parse(quoted_traditional, "doc.md").language == "zh-Hans"


@pytest.mark.parametrize(
    ("tag", "language", "region"),
    [
        ("zh", "zh-Hans", "SC"),
        ("zh-CN", "zh-Hans", "SC"),
        ("zh-Hans-SG", "zh-Hans", "SC"),
        ("zh-TW", "zh-Hant", "TC"),
        ("zh-Hant", "zh-Hant", "TC"),
        ("zh-HK", "zh-Hant", "HK"),
        ("ja-JP", "ja", "JP"),
        ("ko-KR", "ko", "KR"),
        ("en-GB", "en", "JP"),
    ],
)
def test_a_written_language_tag_picks_labels_and_glyph_forms(tag: str, language: str, region: str) -> None:
    assert canonical_language(tag) == language
    assert east_asian_region(tag) == region


def test_traditional_and_simplified_chinese_have_labels_of_their_own() -> None:
    assert labels_for("zh-Hans").contents == "目录" and labels_for("zh-Hans").locale == "zh-CN"
    assert labels_for("zh-Hant").contents == "目錄" and labels_for("zh-Hant").locale == "zh-TW"
    assert labels_for("zh-TW") == labels_for("zh-Hant")


# language tag -> (its text, its Noto CJK region, Word's East Asian language)
OUTPUT_CASES = {
    "zh-Hans": (SIMPLIFIED, "SC", "zh-CN"),
    "zh-Hant": (TRADITIONAL, "TC", "zh-TW"),
    "ja": (JAPANESE, "JP", "ja-JP"),
    "ko": (KOREAN, "KR", "ko-KR"),
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("cjk")
    outputs: dict[str, dict[str, Path]] = {}
    for language, (text, _, _) in OUTPUT_CASES.items():
        source = folder / f"{language}.md"
        source.write_text(f"# 直 骨 今\n\n{text}[^1]\n\n## 直骨今\n\n{text}\n\n[^1]: {text}\n", encoding="utf-8")
        result = export_document(source, ExportSettings(formats=("html", "pdf", "docx"), output_dir=folder / "out"))
        assert result.error == "", result.error
        outputs[language] = {fmt: folder / "out" / f"{language}.{fmt}" for fmt in ("html", "pdf", "docx")}
    return outputs


@pytest.mark.parametrize("language", OUTPUT_CASES)
def test_the_html_page_is_tagged_and_names_the_fonts_of_its_glyph_forms(
    language: str, exported: dict[str, dict[str, Path]]
) -> None:
    _, region, _ = OUTPUT_CASES[language]
    page = exported[language]["html"].read_text(encoding="utf-8")
    assert f'<html lang="{language}">' in page
    style = page[page.index("<style>") : page.index("</style>")]
    # The theme's stacks, set again after it in this language's forms (the theme itself names the JP fonts).
    last_text_stack = style[style.rindex("--font-text:") :].split(";")[0]
    assert f"Noto Serif CJK {region}" in last_text_stack


@pytest.mark.parametrize("language", OUTPUT_CASES)
def test_the_pdf_is_tagged_and_embeds_the_cjk_font_of_its_glyph_forms(
    language: str, exported: dict[str, dict[str, Path]]
) -> None:
    _, region, _ = OUTPUT_CASES[language]
    pdf = exported[language]["pdf"]
    assert str(PdfReader(pdf).root_object["/Lang"]) == language
    pdffonts = shutil.which("pdffonts")
    assert pdffonts, "poppler-utils is installed by `make test`"
    listing = subprocess.run([pdffonts, str(pdf)], capture_output=True, text=True, check=True).stdout
    cjk_fonts = {row.split()[0].split("+")[-1] for row in listing.splitlines()[2:] if "CJK" in row}
    assert cjk_fonts, listing
    assert all(f"-CJK-{region}" in font for font in cjk_fonts), cjk_fonts


@pytest.mark.parametrize("language", OUTPUT_CASES)
def test_the_docx_names_the_east_asian_language_and_font(language: str, exported: dict[str, dict[str, Path]]) -> None:
    _, region, word_language = OUTPUT_CASES[language]
    with zipfile.ZipFile(exported[language]["docx"]) as package:
        styles = ElementTree.fromstring(package.read("word/styles.xml"))
    defaults = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
    assert defaults is not None
    lang = defaults.find(f"{W}lang")
    assert lang is not None and lang.get(f"{W}eastAsia") == word_language
    east_asian_fonts = {fonts.get(f"{W}eastAsia") for fonts in styles.iter(f"{W}rFonts")}
    cjk_fonts = {font for font in east_asian_fonts if font and "CJK" in font}
    assert cjk_fonts == {f"Noto Sans CJK {region}"}


def test_traditional_chinese_notes_get_the_traditional_heading(exported: dict[str, dict[str, Path]]) -> None:
    assert '<p class="footnotes-title">註腳</p>' in exported["zh-Hant"]["html"].read_text(encoding="utf-8")
    assert '<p class="footnotes-title">脚注</p>' in exported["zh-Hans"]["html"].read_text(encoding="utf-8")


CORPUS_LANGUAGES = {"rocketmq-design-zh.md": "zh-Hans", "rust-3392-leadership-council-ja.md": "ja"}


@pytest.mark.parametrize("name", sorted(CORPUS_LANGUAGES))
def test_corpus_documents_get_their_language(name: str) -> None:
    source = corpus_doc(name)
    assert parse(source.read_text(encoding="utf-8"), name).language == CORPUS_LANGUAGES[name]


def test_the_front_matter_language_wins_over_detection(tmp_path: Path) -> None:
    source = tmp_path / "taiwan.md"
    text = f"---\nlang: zh-TW\n---\n\n# 直骨今\n\n{SIMPLIFIED}[^1]\n\n[^1]: {SIMPLIFIED}\n"
    source.write_text(text, encoding="utf-8")
    assert parse(source.read_text(encoding="utf-8"), source.name).language == "zh-TW"
    result = export_document(source, ExportSettings(formats=("html", "docx"), output_dir=tmp_path / "out"))
    assert result.error == "", result.error
    page = (tmp_path / "out" / "taiwan.html").read_text(encoding="utf-8")
    assert '<html lang="zh-TW">' in page and "Noto Serif CJK TC" in page
    assert '<p class="footnotes-title">註腳</p>' in page
    with zipfile.ZipFile(tmp_path / "out" / "taiwan.docx") as package:
        styles = package.read("word/styles.xml").decode("utf-8")
    assert 'w:eastAsia="zh-TW"' in styles and 'w:eastAsia="Noto Sans CJK TC"' in styles
