#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing: Chromium (pane end-to-end tests),
# Radicale (the real CalDAV server the CalDAV provider is tested against), xmllint (manifest validation) and
# faketime (the time-travel run: the suites again at other dates, scripts/time-travel.sh).
# Does nothing when everything is present, so it is cheap to call from .ci/run and from test set-up.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v radicale >/dev/null 2>&1 || python3 -c 'import radicale' >/dev/null 2>&1 || missing+=(radicale)
command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
# The side-by-side benchmark (npm run bench vs-vdirsyncer) runs vdirsyncer, the tool people would use instead.
command -v vdirsyncer >/dev/null 2>&1 || missing+=(vdirsyncer)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing system packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
