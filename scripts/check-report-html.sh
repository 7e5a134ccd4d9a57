#!/usr/bin/env bash
# Renders a report.html in headless Chromium and writes a screenshot, to check the
# page is self-contained and readable offline. Needs the Debian package `chromium`.
#
#   scripts/check-report-html.sh [RESULTS_DIR] [SCREENSHOT.png]
#
# Without RESULTS_DIR it builds a report of the fixture in results/tests/data/qs1.
# Network access is disabled, so anything the page fetched from elsewhere would be
# missing from the screenshot. Exit status: 0 when the screenshot was written.
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${1:-}"
shot="${2:-$PWD/target/report-screenshot.png}"
if [ -z "$dir" ]; then
  dir="$(mktemp -d)/qs1"
  mkdir -p "$dir"
  cp results/tests/data/qs1/* "$dir"/
  CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sieve-target-results}" \
    cargo run --release --quiet -p sieve-results --example report -- "$dir"
fi
test -s "$dir/report.html" || { echo "no $dir/report.html" >&2; exit 1; }

browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [ -z "$browser" ]; then
  echo "chromium not installed (Debian: apt-get install -y chromium)" >&2
  exit 1
fi
mkdir -p "$(dirname "$shot")"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
  --disable-background-networking --disable-component-update --disable-sync \
  --no-first-run --user-data-dir="$profile" --proxy-server=127.0.0.1:9 \
  --hide-scrollbars --window-size=1400,2000 --screenshot="$shot" \
  "file://$(cd "$dir" && pwd)/report.html" >/dev/null 2>&1
test -s "$shot" || { echo "no screenshot written" >&2; exit 1; }
echo "screenshot: $shot"
