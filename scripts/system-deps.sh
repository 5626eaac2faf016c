#!/usr/bin/env bash
# Install the Debian packages the test suite needs, but only those that are missing.
# Fast no-op when everything is already present. Safe to run repeatedly.
set -euo pipefail

PACKAGES=(
  postgresql            # server binaries for the real-PostgreSQL test fixture
  fonts-noto-cjk        # CJK glyphs for rendered reports
  chromium              # headless browser for HTML -> PDF / browser tests
  libharfbuzz-subset0   # font subsetting for PDF output
  poppler-utils         # pdftotext / pdfinfo used to inspect generated PDFs
)

if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: not a Debian/Ubuntu system; install these manually if needed: ${PACKAGES[*]}" >&2
  exit 0
fi

is_installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "system-deps: all present (${PACKAGES[*]})"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
    # Never wait for a password prompt when nobody can answer it (CI, pipes).
    [ -t 0 ] || SUDO+=(-n)
  else
    echo "system-deps: missing packages (${missing[*]}) and not root, and sudo is not available." >&2
    echo "system-deps: run as root: apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-o DPkg::Lock::Timeout=300)
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${missing[@]}"

still_missing=()
for pkg in "${missing[@]}"; do
  is_installed "$pkg" || still_missing+=("$pkg")
done
if [ "${#still_missing[@]}" -ne 0 ]; then
  echo "system-deps: failed to install: ${still_missing[*]}" >&2
  exit 1
fi
echo "system-deps: done"
