"""designexport: technical design documents from Markdown to HTML, PDF and DOCX."""

__version__ = "0.1.0"
