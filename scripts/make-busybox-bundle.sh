#!/bin/sh
# Build a test bundle from Debian's busybox-static:
#   DIR/rootfs      bin/busybox + one symlink per applet, /etc/passwd and
#                   /etc/group (root, nobody, user 1000), proc sys dev tmp etc root
#   DIR/config.json tsrun's default spec, running `echo hello from tsrun`
#                   without a terminal
# Usage: scripts/make-busybox-bundle.sh [DIR]   (default: ./busybox-bundle)
# Installs busybox-static with apt-get when it is missing (a fresh machine starts bare).
set -eu

dir=${1:-busybox-bundle}
here=$(cd "$(dirname "$0")/.." && pwd)

if ! dpkg -s busybox-static >/dev/null 2>&1; then
  echo "installing busybox-static" >&2
  # package scripts must not try to start services
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
fi
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "$busybox not found after installing busybox-static" >&2; exit 1; }

if [ -e "$dir/config.json" ] || [ -e "$dir/rootfs" ]; then
  echo "$dir already holds a bundle; remove it first" >&2
  exit 1
fi
mkdir -p "$dir/rootfs"
rootfs=$(cd "$dir/rootfs" && pwd)

mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/etc" "$rootfs/root" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/root"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done

cat > "$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
user:x:1000:1000:user:/tmp:/bin/sh
PASSWD
cat > "$rootfs/etc/group" <<'GROUP'
root:x:0:
tty:x:5:
nogroup:x:65534:
user:x:1000:
GROUP

# config.json from the project's default spec (built on demand)
if [ ! -f "$here/dist/src/container/default-spec.js" ]; then
  (cd "$here" && npx tsc -p tsconfig.build.json)
fi
node -e '
const { defaultSpec, formatSpecJson } = require(process.argv[1]);
const spec = defaultSpec();
spec.process.args = ["echo", "hello from tsrun"];
spec.process.terminal = false;
require("fs").writeFileSync(process.argv[2], formatSpecJson(spec));
' "$here/dist/src/container/default-spec.js" "$dir/config.json"

echo "bundle ready: $dir (rootfs with $(ls "$rootfs/bin" | wc -l) entries in /bin)"
