"""Builds styles/reference.docx, the Word file every DOCX export starts from, from the backend's style code.

Run it after changing exporter/render/word/styles.py; the output is the same bytes every time,
and tests/test_docx_word.py fails while the committed file is out of date.

    .venv/bin/python scripts/build_reference_docx.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exporter.render.word.reference import REFERENCE_FILE, build_reference_docx

CHECKOUT = Path(__file__).resolve().parents[1]


def main(arguments: list[str]) -> int:
    target = CHECKOUT / "styles" / REFERENCE_FILE  # the committed file, which the build copies into the package
    data = build_reference_docx()
    if "--check" in arguments:
        current = target.read_bytes() if target.is_file() else b""
        if current != data:
            print(f"{target} is out of date; run scripts/build_reference_docx.py", file=sys.stderr)
            return 1
        return 0
    target.write_bytes(data)
    print(f"wrote {target} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
