#!/usr/bin/env bash
# Validates manifest.xml (and the built dist/addin/manifest.xml when present) offline against Microsoft's
# add-in manifest schemas kept in ../shared/schemas. `office-addin-manifest validate` needs an online service.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
xsd="${MANIFEST_XSD:-$here/../shared/schemas/office-addin-manifest/OfficeAppManifestV1_1.xsd}"
if [ ! -f "$xsd" ]; then
  echo "validate-manifest: schema not found at $xsd (is ../shared beside the checkout?)" >&2
  exit 1
fi
command -v xmllint >/dev/null 2>&1 || bash "$here/scripts/ensure-system-packages.sh"
files=("$here/manifest.xml")
[ -f "$here/dist/addin/manifest.xml" ] && files+=("$here/dist/addin/manifest.xml")
for f in "${files[@]}"; do
  xmllint --noout --nonet --schema "$xsd" "$f"
done
node "$here/scripts/manifest-check.mjs"
