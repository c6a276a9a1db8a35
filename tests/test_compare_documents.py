"""Two versions of real design documents, made by scripted edits, compared: accepting every change gives the new
version, rejecting every change the old one, and each edit shows as the change a reviewer expects."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from exporter.compare.documents import compare_documents
from exporter.compare.resolve import accepted, normalized, rejected
from exporter.model.tree import (
    Changed,
    CodeBlock,
    Diagram,
    Document,
    Heading,
    Revised,
    Table,
    block_inlines,
    plain_text,
    walk_blocks,
    walk_inlines,
)
from exporter.read.markdown import parse
from tests.conftest import CORPUS_DOCS, SAMPLES, corpus_cases, corpus_doc

PAYMENT = Path(__file__).parent.parent / "samples" / "payment-retry.md"


def compared(old_text: str, new_text: str, *, changes_only: bool = False) -> tuple[Document, Document, Document]:
    old, new = parse(old_text, "doc.md"), parse(new_text, "doc.md")
    merged = compare_documents(
        old, new, since="v1.0", author="Ada Reviewer", date="2026-12-01T00:00:00Z", changes_only=changes_only
    )
    return old, new, merged


def assert_round_trip(old: Document, new: Document, merged: Document) -> None:
    assert normalized(accepted(merged)) == normalized(new)
    assert normalized(rejected(merged)) == normalized(old)


def revisions(document: Document, kind: str) -> list[Revised]:
    return [block for block in walk_blocks(document.blocks) if isinstance(block, Revised) and block.kind == kind]


def changed_words(document: Document, kind: str) -> list[str]:
    return [
        plain_text(node.children)
        for block in walk_blocks(document.blocks)
        for node in walk_inlines(block_inlines(block))
        if isinstance(node, Changed) and node.kind == kind
    ]


def edited(text: str, old: str, new: str) -> str:
    assert old in text, f"the sample no longer holds {old!r}"
    return text.replace(old, new, 1)


def moved_section(text: str, title: str, before: str) -> str:
    """The text with the `## title` section cut out and put back before the `## before` heading."""
    start = text.index(f"\n## {title}\n")
    end = text.index("\n## ", start + 1)
    section = text[start:end]
    rest = text[:start] + text[end:]
    at = rest.index(f"\n## {before}\n")
    return rest[:at] + section + rest[at:]


def test_changed_words_are_marked_word_by_word() -> None:
    text = PAYMENT.read_text()
    old, new, merged = compared(text, edited(text, "fail for many reasons", "fail for several reasons"))
    assert_round_trip(old, new, merged)
    assert changed_words(merged, "deleted") == ["many"]
    assert changed_words(merged, "inserted") == ["several"]
    assert merged.changes is not None
    [section] = merged.changes.sections
    assert (section.kind, section.title, section.changes) == ("changed", "Technical Overview", 1)


def test_inserted_and_deleted_paragraphs_are_whole_blocks() -> None:
    text = PAYMENT.read_text()
    added = "Retries are invisible to the customer until the plan is exhausted."
    new_text = edited(
        text,
        "\n> **Note:** This design covers card payments only.",
        f"\n{added}\n\n> **Note:** This design covers card payments only.",
    )
    deleted_start = new_text.index("This design introduces a dedicated retry subsystem")
    deleted_end = new_text.index("\n\n", deleted_start)
    new_text = new_text[:deleted_start] + new_text[deleted_end + 2 :]
    old, new, merged = compared(text, new_text)
    assert_round_trip(old, new, merged)
    assert [plain_text(block_inlines(revision.children[0])) for revision in revisions(merged, "inserted")] == [added]
    [deleted] = revisions(merged, "deleted")
    assert plain_text(block_inlines(deleted.children[0])).startswith("This design introduces")


def test_a_moved_section_shows_where_it_was_and_where_it_is() -> None:
    text = PAYMENT.read_text()
    new_text = edited(
        moved_section(text, "Database Schema", "Implementation Details"),
        "Guarantees at most one open attempt",
        "Guarantees one open attempt at most",
    )
    old, new, merged = compared(text, new_text)
    assert_round_trip(old, new, merged)
    [moved_from] = revisions(merged, "moved-from")
    [moved_to] = revisions(merged, "moved-to")
    assert not revisions(merged, "inserted") and not revisions(merged, "deleted")
    assert merged.blocks.index(moved_to) < merged.blocks.index(moved_from)
    assert isinstance(moved_from.children[0], Heading) and isinstance(moved_to.children[0], Heading)
    inner_edit = [node for block in walk_blocks(moved_to.children) for node in walk_inlines(block_inlines(block))]
    assert any(isinstance(node, Changed) for node in inner_edit)  # the edit inside lives in the moved-to part
    assert merged.changes is not None
    assert [(item.kind, item.title) for item in merged.changes.sections] == [("moved", "Database Schema")]


def test_a_renamed_section_is_not_removed_and_added() -> None:
    text = PAYMENT.read_text()
    old, new, merged = compared(text, edited(text, "## Database Schema", "## Storage Schema"))
    assert_round_trip(old, new, merged)
    assert not revisions(merged, "inserted") and not revisions(merged, "deleted")
    [renamed] = revisions(merged, "changed")
    assert isinstance(renamed.children[0], Heading)
    assert (changed_words(merged, "deleted"), changed_words(merged, "inserted")) == (["Database"], ["Storage"])
    assert merged.changes is not None
    [section] = merged.changes.sections
    assert (section.kind, section.title, section.old_title) == ("renamed", "Storage Schema", "Database Schema")


def test_a_table_row_added_and_a_column_removed() -> None:
    text = PAYMENT.read_text()
    row = "| Tax Service | REST | Compute sales tax | JSON |"
    new_text = edited(
        text,
        "| Fraud Engine | gRPC | Block retries on flagged cards | Protobuf |",
        f"| Fraud Engine | gRPC | Block retries on flagged cards | Protobuf |\n{row}",
    )
    new_text = re.sub(
        r"(\| (?:System|Payment Gateway|Billing Service|Ledger|Dunning Service|Fraud Engine|Tax Service) )\|[^|]*\|",
        r"\1|",
        new_text,
    )
    new_text = edited(new_text, "|--------|----------|", "|--------|")
    old, new, merged = compared(text, new_text)
    assert_round_trip(old, new, merged)
    [table] = [block for block in walk_blocks(merged.blocks) if isinstance(block, Table) and block.column_changes]
    assert table.column_changes == ("", "deleted", "", "")
    assert table.row_changes == ("", "", "", "", "", "inserted")
    assert plain_text(table.rows[-1][0].children) == "Tax Service"
    assert len(table.column_weights) == len(table.header) and sum(table.column_weights) == pytest.approx(1.0)


def test_a_code_line_changed() -> None:
    text = PAYMENT.read_text()
    old, new, merged = compared(text, edited(text, "2. if n >= policy.max_attempts", "2. if n > policy.max_attempts"))
    assert_round_trip(old, new, merged)
    [code] = [block for block in walk_blocks(merged.blocks) if isinstance(block, CodeBlock) and block.line_changes]
    lines = code.text.split("\n")
    marked = [(change, line) for change, line in zip(code.line_changes, lines, strict=True) if change]
    assert marked == [
        ("deleted", "2. if n >= policy.max_attempts, return EXHAUSTED"),
        ("inserted", "2. if n > policy.max_attempts, return EXHAUSTED"),
    ]


def test_a_changed_diagram_shows_old_and_new() -> None:
    text = PAYMENT.read_text()
    old, new, merged = compared(text, edited(text, "│ Retry Worker       │", "│ Retry Executor     │"))
    assert_round_trip(old, new, merged)
    [deleted] = revisions(merged, "deleted")
    [inserted] = revisions(merged, "inserted")
    assert isinstance(deleted.children[0], Diagram) and isinstance(inserted.children[0], Diagram)
    assert any("Retry Executor" in line for line in inserted.children[0].lines)


def test_the_status_change_is_in_the_summary_and_tracked() -> None:
    text = PAYMENT.read_text()
    old, new, merged = compared(text, edited(text, "**Status:** Draft", "**Status:** Approved"))
    assert_round_trip(old, new, merged)
    assert merged.changes is not None
    assert [(item.key, item.old, item.new) for item in merged.changes.metadata] == [("Status", "Draft", "Approved")]
    [status] = [item for item in merged.metadata if item.key == "Status"]
    marks = [(node.kind, plain_text(node.children)) for node in status.value if isinstance(node, Changed)]
    assert marks == [("deleted", "Draft"), ("inserted", "Approved")]
    assert not merged.changes.sections


def test_a_cjk_sentence_is_compared_by_character() -> None:
    text = corpus_doc("rocketmq").read_text()
    old, new, merged = compared(text, edited(text, "消息存储是RocketMQ中最为复杂", "消息存储是RocketMQ中相当复杂"))
    assert_round_trip(old, new, merged)
    assert (changed_words(merged, "deleted"), changed_words(merged, "inserted")) == (["最为"], ["相当"])


def test_identical_documents_have_no_changes() -> None:
    text = PAYMENT.read_text()
    _, new, merged = compared(text, text)
    assert merged.changes is not None
    assert (merged.changes.sections, merged.changes.metadata) == ((), ())
    assert not any(isinstance(block, Revised) for block in walk_blocks(merged.blocks))
    assert merged.blocks == new.blocks


def test_changes_only_keeps_the_changed_sections_and_the_title() -> None:
    text = PAYMENT.read_text()
    _, new, merged = compared(
        text, edited(text, "fail for many reasons", "fail for several reasons"), changes_only=True
    )
    assert merged.changes is not None and merged.changes.changes_only
    headings = [plain_text(block.children) for block in walk_blocks(merged.blocks) if isinstance(block, Heading)]
    assert headings == ["Payment Retry Technical Design", "Technical Overview"]
    assert [entry.text for entry in merged.toc] == ["Technical Overview"]  # no entry links to a section left out
    assert merged.toc[0] == new.toc[0]


def test_footnote_removed_with_its_mark_still_resolves() -> None:
    text = PAYMENT.read_text()
    new_text = edited(text, "outside most of the PCI DSS scope[^1]", "outside most of the PCI DSS scope")
    new_text = new_text[: new_text.index("[^1]:")]
    old, new, merged = compared(text, new_text)
    assert_round_trip(old, new, merged)
    assert [note.label for note in merged.footnotes] == ["1"]
    assert not new.footnotes and old.footnotes


def random_word_edits(text: str, seed: int, count: int = 5) -> str:
    """`count` words of prose lines replaced, inserted or deleted, by a seeded generator."""
    generator = random.Random(seed)
    lines = text.split("\n")
    prose = [index for index, line in enumerate(lines) if re.match(r"[A-Za-z\u3040-\u30ff\u4e00-\u9fff]", line)]
    for _ in range(count):
        index = generator.choice(prose)
        words = lines[index].split(" ")
        at = generator.randrange(len(words))
        edit = generator.choice(["replace", "insert", "delete"])
        if edit == "replace":
            words[at] = "zebra"
        elif edit == "insert":
            words.insert(at, "quietly")
        elif len(words) > 1:
            del words[at]
        lines[index] = " ".join(words)
    return "\n".join(lines)


@pytest.mark.parametrize(
    "path", [*SAMPLES, *corpus_cases(CORPUS_DOCS)], ids=lambda path: getattr(path, "stem", "corpus")
)
def test_random_word_edits_round_trip(path: Path) -> None:
    text = path.read_text()
    for seed in range(2):
        old, new, merged = compared(text, random_word_edits(text, seed))
        assert_round_trip(old, new, merged)
        assert merged.changes is not None and (merged.changes.sections or merged.changes.metadata)
