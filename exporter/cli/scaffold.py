"""A new design document from a template: `{{FEATURE}}`, `{{REQ_ID}}`, `{{DATE}}` filled in with Jinja2."""

from __future__ import annotations

import re
from datetime import date

import jinja2

from exporter.enrich.outline import slugify

_STATUS_LINE = re.compile(r"^(\*\*Status:\*\*[ \t]*)Draft[ \t]*$", re.MULTILINE)


class TemplateError(ValueError):
    """A template Jinja2 can't render; the message is Jinja2's."""


class _KeepUnknown(jinja2.Undefined):
    """Leaves a placeholder the caller gave no value for in place, so `check` still finds it."""

    def __str__(self) -> str:
        return "{{" + str(self._undefined_name) + "}}"


def render_template(template: str, feature: str, req_id: str, status: str = "", today: date | None = None) -> str:
    """The template with its placeholders filled in; TemplateError when Jinja2 can't render it."""
    if status:
        template = _STATUS_LINE.sub(lambda match: match[1] + "{{STATUS}}", template, count=1)
    environment = jinja2.Environment(keep_trailing_newline=True, autoescape=False, undefined=_KeepUnknown)
    values = {"FEATURE": feature, "REQ_ID": req_id, "DATE": (today or date.today()).isoformat(), "STATUS": status}
    try:
        return environment.from_string(template).render(values)
    except jinja2.TemplateError as error:
        raise TemplateError(str(error)) from None


def document_file_name(feature: str) -> str:
    """`Payment Retry` -> `payment-retry.md`."""
    slug = re.sub(r"[^\w-]+", "-", slugify(feature).replace("_", "-")).strip("-")
    return f"{slug or 'design'}.md"
