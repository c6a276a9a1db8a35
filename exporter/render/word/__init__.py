"""The DOCX backend: an editable Word file built from named styles, real lists, tables and links.

Split by concern, as pandoc splits its Docx writer:
- document: the entry point `render_docx`, assembling the file in reading order;
- context: the frozen per-call `Context` (story, page, indent, list depth, line) and the stories written into;
- state: what accumulates (bookmarks, list numbering, image parts, cited notes);
- blocks: dispatch on block nodes; headings, paragraphs, code, lists, quotes, callouts, details;
- inlines / runs: inline nodes as runs; links, anchors, note references; run formatting;
- tables, pictures (images and diagrams), footnotes, sections (document control, contents, header and
  footer, landscape sections), properties (core and custom properties);
- styles: the named styles; reference: the reference document; package: parts and the zip;
- ooxml_body: the body, notes, tables and pictures as raw XML, built as lxml elements (python-docx's objects were
  most of the writer's time) into a detached body attached at the end; ooxml: the raw XML of the parts python-docx
  keeps (styles, numbering, section properties). The others reach XML only through these two.
"""
