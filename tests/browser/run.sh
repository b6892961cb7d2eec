#!/usr/bin/env bash
# The course in a real browser: installs Chromium (Debian), CJK fonts, Playwright (PyPI) and bertviz's
# JavaScript libraries (npm, into a throwaway folder), then runs tests/browser with pytest.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=.venv/bin
WORK=.browser-test

if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
# editable, like make setup: a plain install would freeze a copy of course/ that notebooks then import
$BIN/python -c "import playwright" 2>/dev/null || $BIN/python -m pip install --quiet -e ".[test,browser]"

# bertviz asks a CDN for require.js, d3 and jQuery; the tests serve these local copies instead.
mkdir -p "$WORK/js"
if [ ! -f "$WORK/js/node_modules/d3/dist/d3.min.js" ]; then
  (cd "$WORK/js" && npm install --silent --no-audit --no-fund --no-save requirejs@2.3.6 d3@5.7.0 jquery@2.2.4 >/dev/null)
fi

export COURSE_BROWSER_TESTS=1
export COURSE_BROWSER_JS="$PWD/$WORK/js/node_modules"
export COURSE_SCREENSHOTS="$PWD/$WORK/screenshots"
$BIN/python -m pytest -p no:cacheprovider tests/browser "$@"
