#!/usr/bin/env bash
# Builds Grantry's container image from the jar, offline: a Java runtime made with jlink from the
# JDK on this machine (only the modules the jar uses), the shared libraries that runtime links
# against, copied from this machine, a passwd entry for the user it runs as, and the jar. The
# result is a directory whose rootfs/ becomes the image's only layer through ops/deploy/Containerfile
# (FROM scratch: no base image is pulled, so it builds where registries cannot be reached).
#
# Usage: ops/deploy/build-image.sh [--jar PATH] [--out DIR] [--tag NAME] [--no-podman]
#   --jar   the jar (modules/cli/target/grantry.jar: mvn -B -q -DskipTests package)
#   --out   where the build context goes (target/image), replaced
#   --tag   the image's name (grantry:0.1.0); built with podman when it is installed, unless
#           --no-podman (docker works the same: docker build -f DIR/Containerfile DIR)
# Needs: a JDK 17+ with jmods on Linux x86-64 (jlink), ldd.
set -euo pipefail
cd "$(dirname "$0")/../.."

JAR=modules/cli/target/grantry.jar
OUT=target/image
TAG=grantry:0.1.0
PODMAN=auto
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) JAR=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --tag) TAG=$2; shift 2 ;;
    --no-podman) PODMAN=no; shift ;;
    *) echo "build-image.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -f "$JAR" ] || { echo "build-image.sh: no $JAR (mvn -B -q -DskipTests package)" >&2; exit 2; }
JLINK=${JAVA_HOME:+$JAVA_HOME/bin/}jlink
command -v "$JLINK" >/dev/null || { echo "build-image.sh: jlink not found (a JDK 17+ is needed)" >&2; exit 2; }

# The modules the jar needs: what `jdeps --ignore-missing-deps --print-module-deps
# --multi-release 17 grantry.jar` prints (slow on a jar this size, so written down here) plus
# the providers jdeps cannot see, jdk.crypto.ec (ES256 signing keys), and jdk.httpserver (the
# witness command), which it missed.
MODULES=java.base,java.compiler,java.desktop,java.net.http,java.security.jgss,java.sql,jdk.jfr,jdk.management,jdk.security.auth,jdk.unsupported,jdk.httpserver,jdk.crypto.ec

rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
ROOT=$OUT/rootfs
mkdir -p "$ROOT/opt/grantry" "$ROOT/etc" "$ROOT/tmp"
CDS=()
"$JLINK" --list-plugins 2>/dev/null | grep -q generate-cds-archive && CDS=(--generate-cds-archive)
# java.desktop is there for java.beans (libraries introspect with it); its windowing, sound,
# font and image libraries, which would pull in X11, ALSA and FreeType, are left out.
"$JLINK" --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files --compress=2 \
  --exclude-files='**/libawt_xawt.so,**/libsplashscreen.so,**/libjsound.so,**/libfontmanager.so,**/liblcms.so,**/libjavajpeg.so,**/libjawt.so' \
  "${CDS[@]}" --output "$ROOT/opt/grantry/runtime"
cp "$JAR" "$ROOT/opt/grantry/grantry.jar"

# The shared libraries the runtime links against (glibc, libz, libstdc++, ...) and the dynamic
# loader, at the paths this machine has them.
find "$ROOT/opt/grantry/runtime" -type f \( -name '*.so' -o -path '*/bin/*' \) -print0 \
  | xargs -0 ldd 2>/dev/null \
  | grep -oE '(=> )?/[^ ]+' | sed 's/^=> //' | sort -u \
  | while read -r lib; do
      case "$lib" in "$ROOT"*) continue ;; esac
      [ -e "$lib" ] || continue
      mkdir -p "$ROOT$(dirname "$lib")"
      cp -L "$lib" "$ROOT$lib"
    done

# Who the server runs as (no login, no shell: the image has none), and name resolution.
cat > "$ROOT/etc/passwd" <<'PASSWD'
root:x:0:0:root:/:/nonexistent
grantry:x:10001:10001:Grantry:/opt/grantry:/nonexistent
PASSWD
cat > "$ROOT/etc/group" <<'GROUP'
root:x:0:
grantry:x:10001:
GROUP
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$ROOT/etc/nsswitch.conf"
chmod 1777 "$ROOT/tmp"
chmod -R go-w,a+rX "$ROOT/opt" "$ROOT/etc"

cp ops/deploy/Containerfile "$OUT/Containerfile"
echo "build-image.sh: build context in $OUT ($(du -sh "$ROOT" | cut -f1) root file system)"

if [ "$PODMAN" = auto ] && command -v podman >/dev/null 2>&1; then
  # docker format: the OCI image format has no HEALTHCHECK.
  podman build --format docker --pull=never -t "$TAG" -f "$OUT/Containerfile" "$OUT"
  echo "build-image.sh: built $TAG"
fi
