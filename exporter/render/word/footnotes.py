"""Footnotes as real Word footnotes: each note's blocks in word/footnotes.xml, starting with its number
mark. The references to them are inlines (see `inlines`)."""

from __future__ import annotations

from dataclasses import replace

from exporter.model.diagnostics import Code
from exporter.model.tree import Footnote
from exporter.render.word import ooxml_body, package, styles
from exporter.render.word.blocks import continue_with
from exporter.render.word.context import Context, NoteStory
from exporter.render.word.runs import RunFormat


def footnotes(context: Context) -> None:
    """Every note the body cites; a note cited only inside another note is left out, with a warning."""
    part = package.add_footnotes_part(context.docx)
    for note in context.tree.footnotes:
        footnote_ids = context.state.citations.footnote_ids(note.number)
        if not footnote_ids:
            context.reporter.warn(
                note.line,
                Code.DOCX_NOTE_IN_NOTE,
                f"note [^{note.label}] is cited only inside another note; Word can't"
                " show notes within notes, so the DOCX leaves it out",
            )
        for footnote_id in footnote_ids:  # more than one when a comparison's versions cite it in different places
            story = NoteStory(part, ooxml_body.new_footnote(part.element, footnote_id))
            note_context = replace(
                context, story=story, line=note.line, indent=0, list_depth=0, paragraph_style=styles.FOOTNOTE_TEXT
            )
            _note(note, note_context)
            if not ooxml_body.ends_with_paragraph(story.note):  # a note ends with a paragraph
                note_context.add_paragraph(styles.FOOTNOTE_TEXT)
            ooxml_body.append(part.element, story.note)


def _note(note: Footnote, context: Context) -> None:
    paragraph = context.add_paragraph(styles.FOOTNOTE_TEXT)
    sink = context.sink(paragraph, styles.FOOTNOTE_TEXT)
    sink.add_run_holding(ooxml_body.footnote_mark(), RunFormat(character_style=styles.FOOTNOTE_REFERENCE))
    sink.add_run(" ", RunFormat())
    continue_with(sink, note.children, context)
