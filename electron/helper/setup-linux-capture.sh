#!/bin/sh
# Capture permission for a source checkout on Linux, as narrow as the installed app's: it lays
# out a root-owned copy of the capture helper in the packaged app's shape and gives the capture
# launcher (build/linux/capture-launcher.c) CAP_NET_RAW + CAP_NET_ADMIN, runnable only by the
# group handshake-capture (build/linux/setup-capture.sh does that part, as for the deb).
#
#   TARGET/handshake-workbench                         a copy of this machine's node, no capabilities
#   TARGET/resources/app.asar/out/node/helper.cjs      the helper as built now (npm run build:node)
#   TARGET/resources/app.asar/node_modules/cap/        cap, built by npm install for that node
#   TARGET/resources/capture/handshake-capture         the launcher: 0750 root:handshake-capture, setcap
#
# The launcher runs nothing but that helper under that node, with a clean environment, and
# ignores its arguments; no file here lets a group member run code of their choosing with the
# capabilities (an earlier version of this script gave a whole node copy capabilities, and any
# member could `node -e` or dlopen() their own code into it). Run it again after rebuilding
# the helper or upgrading node. The alternative without any setup: HANDSHAKE_HELPER_LAUNCHER=pkexec.
#
# usage: sudo sh electron/helper/setup-linux-capture.sh [TARGET]   (default /opt/handshake-workbench-dev)
# then:  export HANDSHAKE_HELPER_LAUNCHER=TARGET/resources/capture/handshake-capture
#        and add users: sudo usermod -aG handshake-capture USER (then log in again)
# DESTDIR (tests) puts the tree below DESTDIR and the group into DESTDIR/etc/group.
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
target=${1:-/opt/handshake-workbench-dev}
root=${DESTDIR:-}
node_binary=${HANDSHAKE_NODE_SOURCE:-$(command -v node || true)}

fail() {
  echo "setup-linux-capture: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || fail "run as root (sudo)"
case "$target" in
  /*) ;;
  *) fail "TARGET must be an absolute path" ;;
esac
case "$target" in
  *[[:space:]]*) fail "TARGET must not contain spaces (HANDSHAKE_HELPER_LAUNCHER is split at spaces)" ;;
esac
if [ -z "$node_binary" ] || [ ! -x "$node_binary" ]; then fail "node not found (set HANDSHAKE_NODE_SOURCE)"; fi
[ -f "$repo/out/node/helper.cjs" ] || fail "build the helper first: npm run build:node"
[ -f "$repo/node_modules/cap/build/Release/cap.node" ] || fail "cap is not built: npm install"
command -v setcap >/dev/null || fail "setcap not found (install libcap2-bin)"
command -v "${CC:-cc}" >/dev/null || fail "a C compiler is needed for the launcher (install build-essential)"

tree="$root$target"
resources="$tree/resources"
umask 022
rm -rf "$resources/app.asar"
install -d -o root -g root -m 755 "$tree" "$resources" "$resources/capture" "$resources/app.asar/out/node" \
  "$resources/app.asar/node_modules/cap/build/Release"
install -o root -g root -m 755 "$node_binary" "$tree/handshake-workbench"
install -o root -g root -m 644 "$repo/out/node/helper.cjs" "$resources/app.asar/out/node/helper.cjs"
install -o root -g root -m 644 "$repo/node_modules/cap/package.json" "$resources/app.asar/node_modules/cap/package.json"
cp -R "$repo/node_modules/cap/lib" "$resources/app.asar/node_modules/cap/lib"
install -o root -g root -m 755 "$repo/node_modules/cap/build/Release/cap.node" "$resources/app.asar/node_modules/cap/build/Release/cap.node"
chown -R root:root "$resources/app.asar"
chmod -R go-w "$resources/app.asar"
"$node_binary" "$repo/build/scripts/build-launcher.mjs" "$resources/capture/handshake-capture"

# The group, 0750 root:handshake-capture and the capabilities: the same step as the deb's.
sh "$repo/build/linux/setup-capture.sh" "$target"

echo "setup-linux-capture: now  export HANDSHAKE_HELPER_LAUNCHER=$target/resources/capture/handshake-capture"
