#!/usr/bin/env bash
# Installs what designexport needs on a fresh Debian machine: the system packages that are
# missing (Pango for WeasyPrint, the fonts the styles name, the tools the tests use) and
# the project's virtualenv. Safe to run again: it only installs what is missing.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh --dev    also the test tools
set -euo pipefail
cd "$(dirname "$0")/.."

runtime_packages=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig
  fonts-dejavu-core fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji
  graphviz plantuml librsvg2-bin chromium
)
test_packages=(poppler-utils libreoffice-writer-nogui libreoffice-math-nogui)

wanted=("${runtime_packages[@]}")
extras="."
if [[ "${1:-}" == "--dev" ]]; then
  wanted+=("${test_packages[@]}")
  extras=".[dev]"
fi

missing=()
for package in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing system packages: ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fc-cache -f >/dev/null 2>&1 || true
fi

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv"
  "$python" -m venv .venv
fi

# Reinstall only when the dependency list changed.
stamp=".venv/.designexport-${extras//[^a-z]/}-$(sha256sum pyproject.toml | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  echo "setup: installing Python packages ($extras)"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e "$extras"
  touch "$stamp"
fi

# Mermaid's npm packages (scripts/renderers: mermaid, and puppeteer-core, which downloads no browser: the
# system Chromium draws), installed beside the virtualenv where the renderer looks for them first.
# Reinstalled only when the package list or its lock changed.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "setup: installing system packages: nodejs npm"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
renderers=".venv/renderers"
renderers_stamp="$renderers/.designexport-$(cat scripts/renderers/package.json scripts/renderers/package-lock.json | sha256sum | cut -c1-16)"
if [[ ! -f "$renderers_stamp" ]]; then
  echo "setup: installing npm packages for Mermaid"
  rm -rf "$renderers"
  mkdir -p "$renderers"
  cp scripts/renderers/package.json scripts/renderers/package-lock.json "$renderers/"
  (cd "$renderers" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --engine-strict=false --loglevel=error >/dev/null)
  touch "$renderers_stamp"
fi
