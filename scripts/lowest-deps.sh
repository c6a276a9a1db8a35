#!/usr/bin/env bash
# Tests the lower bounds pyproject.toml promises: a separate virtualenv (.venv-lowest) gets every runtime
# dependency at the LOWEST version its `>=` bound allows (pip has no "lowest" resolution, so each one is
# pinned with ==), the package itself with --no-deps, and then a fast subset of the suite that goes
# through every backend and every dependency. A bound that fails here must be raised in pyproject.toml.
# The system packages come from `make setup-dev`, which `make lowest` runs first.
#   scripts/lowest-deps.sh [PYTEST ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-lowest
python=${PYTHON:-python3}
if [[ ! -x $venv/bin/python ]]; then
  echo "lowest: creating $venv"
  "$python" -m venv "$venv"
fi

# name[extras]==lowest for each runtime dependency; a dependency without a `>=` bound is an error.
mapfile -t pins < <("$venv/bin/python" - <<'EOF'
import re
import sys
import tomllib

with open("pyproject.toml", "rb") as file:
    dependencies = tomllib.load(file)["project"]["dependencies"]
for requirement in dependencies:
    found = re.match(r"\s*([A-Za-z0-9._-]+(?:\[[^\]]*\])?)\s*[^;]*?>=\s*([^,;\s]+)", requirement)
    if found is None:
        sys.exit(f"lowest: {requirement!r} has no >= lower bound to test")
    print(f"{found[1]}=={found[2]}")
EOF
)
tools=(pytest "pytest-xdist>=3.5" "setuptools>=77" pdfplumber pypdf jsonschema hypothesis)

echo "lowest: installing ${pins[*]}"
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
# One resolution for the pins and the test tools, so a tool cannot quietly upgrade a pinned dependency.
# (The grep drops pip's notes about extra index folders that only some machines have.)
"${pip[@]}" install "${pins[@]}" "${tools[@]}" 2> >(grep -v "^WARNING: Location 'file:" >&2)
"${pip[@]}" install --no-deps --no-build-isolation -e .

# What is installed must be exactly the pins (a later step could still have moved one).
"$venv/bin/python" - "${pins[@]}" <<'EOF'
import re
import sys
from importlib.metadata import version

from packaging.version import Version

wrong = []
for pin in sys.argv[1:]:
    name, wanted = re.sub(r"\[.*\]", "", pin).split("==")
    if Version(version(name)) != Version(wanted):
        wrong.append(f"{name} {version(name)} (wanted {wanted})")
if wrong:
    sys.exit("lowest: not the lowest versions: " + ", ".join(wrong))
EOF

# Each dependency through the tests that lean on it: every backend and the CLI (markdown-it-py, its plugins
# and linkify, Jinja2, MarkupSafe, WeasyPrint, python-docx, click), themes (tinycss2), fonts and CJK
# (fontTools, zhon), math (latex2mathml, ziamath), highlighting (Pygments), front matter (PyYAML),
# shortcodes (emoji), images (Pillow), and batch excludes (pathspec). About 2 minutes on 2 cores.
subset=(
  tests/test_outputs.py tests/test_cli.py tests/test_goldens.py tests/test_diagram_drawing.py
  tests/test_themes.py tests/test_math.py tests/test_cjk_language.py tests/test_front_matter.py
  tests/test_highlight.py tests/test_typography.py tests/test_sandbox.py tests/test_reference_docx.py
)
pytest=("$venv/bin/python" -m pytest -q -p no:cacheprovider)
"${pytest[@]}" -n 2 --dist loadgroup "${subset[@]}" "$@"
"${pytest[@]}" tests/test_batch.py -k exclude "$@"
