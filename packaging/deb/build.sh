#!/usr/bin/env bash
# Builds the Debian package of mote from built binaries and man pages.
# usage: packaging/deb/build.sh BIN_DIR MAN_DIR OUT_DIR
#   BIN_DIR  moted and motectl (the release build: make release)
#   MAN_DIR  motectl.1, moted.8, moted.toml.5 (make man)
#   OUT_DIR  where mote_VERSION_ARCH.deb is written (its path is printed last)
# Layout: binaries in /usr/bin, units in /usr/lib/systemd/system, sysusers in
# /usr/lib/sysusers.d, the config as a conffile, docs in /usr/share/doc/mote, man pages,
# bash/zsh/fish completions in their vendor directories. Depends are computed by
# dpkg-shlibdeps from the binaries' shared libraries.
set -euo pipefail
BIN=$(realpath "$1"); MAN=$(realpath "$2"); OUT=$(realpath -m "$3")
HERE=$(cd "$(dirname "$0")" && pwd); REPO=$(cd "$HERE/../.." && pwd)

VERSION=$("$BIN/motectl" --version)
ARCH=$(dpkg --print-architecture)
WORK=$(mktemp -d /tmp/mote-deb.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/mote

# Units, sysusers, config, docs, man pages, completions: the same layout as `make install`
# with PREFIX=/usr; man pages compressed as Debian wants them.
make -s -C "$REPO" --no-print-directory install-files install-man DESTDIR="$ROOT" PREFIX=/usr \
  RELEASE_DIR="$BIN" MAN_DIR="$MAN" >/dev/null
gzip -9n "$ROOT"/usr/share/man/man*/*
install -D -m 0755 "$BIN/moted" "$ROOT/usr/bin/moted"
install -D -m 0755 "$BIN/motectl" "$ROOT/usr/bin/motectl"
install -D -m 0644 "$HERE/lintian-overrides" "$ROOT/usr/share/lintian/overrides/mote"

DOC=$ROOT/usr/share/doc/mote
install -m 0644 "$HERE/copyright" "$DOC/copyright"
{
  echo "mote ($VERSION) unstable; urgency=medium"
  echo
  echo "  * mote $VERSION$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null | sed 's/^/, built from commit /')."
  echo
  echo " -- mote developers <mote-dev@example.com>  $(date -R -d "@${SOURCE_DATE_EPOCH:-$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n > "$DOC/changelog.gz"

# Every file root's, no group or other write (dpkg-deb --root-owner-group sets the owner).
find "$ROOT" -type d -exec chmod 0755 {} +
find "$ROOT" -type f ! -path "$ROOT/usr/bin/*" -exec chmod 0644 {} +

install -d -m 0755 "$ROOT/DEBIAN"
for script in postinst prerm postrm; do install -m 0755 "$HERE/$script" "$ROOT/DEBIAN/$script"; done
echo /etc/mote/moted.toml > "$ROOT/DEBIAN/conffiles"

# Depends: the shared libraries of the binaries (dpkg-shlibdeps reads a debian/control),
# the tools the maintainer scripts run.
mkdir -p "$WORK/src/debian"
printf 'Source: mote\n\nPackage: mote\nArchitecture: any\n' > "$WORK/src/debian/control"
SHLIBS=$(cd "$WORK/src" && dpkg-shlibdeps -O "$ROOT/usr/bin/moted" "$ROOT/usr/bin/motectl" | sed -n 's/^shlibs:Depends=//p')
DEPENDS="$SHLIBS, systemd | systemd-standalone-sysusers | systemd-sysusers, init-system-helpers (>= 1.54~)"
SIZE=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$SIZE/" -e "s/@DEPENDS@/$DEPENDS/" \
  "$HERE/control.in" > "$ROOT/DEBIAN/control"
(cd "$ROOT" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > "$ROOT/DEBIAN/md5sums"
chmod 0644 "$ROOT/DEBIAN/control" "$ROOT/DEBIAN/conffiles" "$ROOT/DEBIAN/md5sums"

mkdir -p "$OUT"
DEB=$OUT/mote_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$DEB" >/dev/null
echo "$DEB"
