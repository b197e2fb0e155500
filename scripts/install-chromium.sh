#!/usr/bin/env sh
# Install Debian's chromium for the end-to-end browser tests: the HTML report
# (tests/e2e/test_report_browser.py) and the dashboard (tests/e2e/test_dashboard_browser.py,
# driven through Playwright's Python package with this chromium, no downloaded browser).
# Idempotent; needs root (or sudo) and apt.
set -eu
if command -v chromium >/dev/null 2>&1; then
    echo "chromium already installed: $(command -v chromium)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-chromium: not root and no sudo; the browser test will be skipped" >&2
        exit 0
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium: apt-get not found; the browser test will be skipped" >&2
    exit 0
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium
echo "chromium installed: $(command -v chromium)"
