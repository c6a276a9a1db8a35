"""Word files opened by LibreOffice, the way a reviewer without Word opens them: converted to PDF headless,
each run with a profile of its own (two runs sharing one block each other)."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path


def convert_to_pdf(documents: list[Path], folder: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Converts `documents` to PDF in `folder` with one LibreOffice run; its outcome, for the caller to check."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is installed by `make test` (scripts/setup.sh --dev)"
    profile = Path("/tmp") / f"lo-{uuid.uuid4().hex}"
    try:
        return subprocess.run(
            [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
             "--outdir", str(folder), *map(str, documents)],
            capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        shutil.rmtree(profile, ignore_errors=True)
