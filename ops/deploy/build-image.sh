#!/usr/bin/env bash
# Builds Grantry's container image from the jar, offline: a Java runtime made with jlink from the
# JDK on this machine (only the modules the jar uses), the shared libraries that runtime links
# against, copied from this machine, a passwd entry for the user it runs as, and the jar. The
# result is a directory whose rootfs/ becomes the image's only layer through ops/deploy/Containerfile
# (FROM scratch: no base image is pulled, so it builds where registries cannot be reached).
#
# Usage: ops/deploy/build-image.sh [--jar PATH] [--out DIR] [--tag NAME] [--no-podman] [--no-cds]
#   --jar   the jar (modules/cli/target/grantry.jar: mvn -B -q -DskipTests package)
#   --out   where the build context goes (target/image), replaced
#   --tag   the image's name (grantry:0.1.0); built with podman when it is installed, unless
#           --no-podman (docker works the same: docker build -f DIR/Containerfile DIR)
#   --no-cds  without the class-data-sharing archive /opt/grantry/grantry.jsa (below)
# Needs: a JDK 17+ with jmods on Linux x86-64 (jlink), ldd; for the archive root, unshare and curl.
#
# The archive (AppCDS, ops/deploy/cds-archive.sh) is made by the image's own runtime with the jar
# at its final path, /opt/grantry/grantry.jar: JDK 17 uses an archive only for the class path it
# was made with, as written. Containers cannot run here, so the root file system is mounted at
# /opt/grantry in a private mount namespace of this script (root only) for the training run, which
# starts the server once on a scratch embedded PostgreSQL. Without root or unshare the image is
# built without it, and the server, told to use a missing archive, starts as it did before.
set -euo pipefail
cd "$(dirname "$0")/../.."

JAR=modules/cli/target/grantry.jar
OUT=target/image
TAG=grantry:0.1.0
PODMAN=auto
CDS_ARCHIVE=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) JAR=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --tag) TAG=$2; shift 2 ;;
    --no-podman) PODMAN=no; shift ;;
    --no-cds) CDS_ARCHIVE=no; shift ;;
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

# The class-data-sharing archive, made at the image's paths: $ROOT/opt/grantry is mounted on
# /opt/grantry (over a tmpfs on /opt, in this namespace only) and the image's java runs the jar
# from there with the entry point's JVM options.
if [ "$CDS_ARCHIVE" = yes ]; then
  if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && [ ${#CDS[@]} -gt 0 ]; then
    unshare --mount --propagation private sh -c '
      set -e
      mount -t tmpfs tmpfs /opt
      mkdir /opt/grantry
      mount --bind "$1" /opt/grantry
      exec "$2" /opt/grantry/runtime/bin/java /opt/grantry/grantry.jar /opt/grantry/grantry.jsa \
        -XX:+UseParallelGC -Xms64m -Xmx192m -XX:-UsePerfData' \
      sh "$ROOT/opt/grantry" "$PWD/ops/deploy/cds-archive.sh" \
      || { echo "build-image.sh: the class-data-sharing archive could not be made" >&2; exit 1; }
  else
    echo "build-image.sh: no class-data-sharing archive (needs root, unshare and a runtime with a base archive)" >&2
  fi
fi
chmod -R go-w,a+rX "$ROOT/opt" "$ROOT/etc"

cp ops/deploy/Containerfile "$OUT/Containerfile"
echo "build-image.sh: build context in $OUT ($(du -sh "$ROOT" | cut -f1) root file system)"

if [ "$PODMAN" = auto ] && command -v podman >/dev/null 2>&1; then
  # docker format: the OCI image format has no HEALTHCHECK.
  podman build --format docker --pull=never -t "$TAG" -f "$OUT/Containerfile" "$OUT"
  echo "build-image.sh: built $TAG"
fi
