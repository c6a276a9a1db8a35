"""Diagrams written as code (```` ```mermaid ````, ```` ```dot ````, ```` ```plantuml ````), drawn by their own
renderers in a sandboxed process, cleaned like any SVG image, and cached by content."""
