#!/bin/sh
# Gives capture permission on Linux without running anything as root at capture time:
# a dedicated copy of node gets CAP_NET_RAW and CAP_NET_ADMIN, and only members of one
# group may run it (the way Wireshark's dumpcap is set up). Never setcap the Electron
# binary itself: it breaks its library loading (electron #4583).
#
# Anyone in the group can capture and inject on every interface: add only trusted users.
# For running from source on a development machine: the copy is a general interpreter, so
# group members could run any script with these capabilities. Installed packages use the
# capture launcher instead (build/linux/capture-launcher.c), which runs only the helper.
#
# usage: sudo sh setup-linux-capture.sh [TARGET] [GROUP]
#   TARGET  where the helper's node goes (default /opt/handshake/helper-node)
#   GROUP   who may use it (default pcap)
# then:   export HANDSHAKE_HELPER_NODE=TARGET   (the app and `handshake` pick it up)
set -eu

target=${1:-/opt/handshake/helper-node}
group=${2:-pcap}
node_binary=${HANDSHAKE_NODE_SOURCE:-$(command -v node)}

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-linux-capture: run as root (sudo)" >&2
  exit 1
fi
command -v setcap >/dev/null || { echo "setup-linux-capture: setcap not found (install libcap2-bin)" >&2; exit 1; }

getent group "$group" >/dev/null || groupadd --system "$group"
install -d -m 755 "$(dirname "$target")"
install -m 750 -o root -g "$group" "$node_binary" "$target"
setcap cap_net_raw,cap_net_admin+eip "$target"

echo "capture helper node: $target (group $group, $(getcap "$target"))"
echo "add users with: usermod -aG $group USER   then: export HANDSHAKE_HELPER_NODE=$target"
