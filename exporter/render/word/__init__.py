"""The DOCX backend: an editable Word file built from named styles, real lists, tables and links.

The writer is `document.render_docx`; raw OOXML stays in `ooxml`."""
