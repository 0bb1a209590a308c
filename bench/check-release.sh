#!/usr/bin/env bash
# Checks the release binary: size under 40 MB, Swift runtime linked statically, no ICU.
set -euo pipefail
BIN=${1:-.build/release-static/moted}
SIZE=$(stat -c %s "$BIN")
echo "moted release binary: $SIZE bytes ($(( SIZE / 1024 / 1024 )) MiB)"
[ "$SIZE" -lt $(( 40 * 1024 * 1024 )) ] || { echo "FAIL: over 40 MB"; exit 1; }
if ldd "$BIN" | grep -E 'libswift|libFoundation|libicu|_FoundationICU'; then
  echo "FAIL: links Swift runtime or ICU dynamically"; exit 1
fi
if grep -q -a 'icudt' "$BIN"; then echo "FAIL: ICU data is linked in"; exit 1; fi
echo "dynamic libraries: $(ldd "$BIN" | awk '{print $1}' | tr '\n' ' ')"
echo "release binary ok"
