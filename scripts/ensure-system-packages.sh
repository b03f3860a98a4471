#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing: Chromium (pane end-to-end tests),
# Radicale and Xandikos (the real CalDAV servers the CalDAV provider is tested against) and xmllint (manifest
# validation).
# Does nothing when everything is present, so it is cheap to call from .ci/run and from test set-up.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v radicale >/dev/null 2>&1 || python3 -c 'import radicale' >/dev/null 2>&1 || missing+=(radicale)
command -v xandikos >/dev/null 2>&1 || missing+=(xandikos)
command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing system packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
