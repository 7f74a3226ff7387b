#!/bin/sh
# Gives the capture launcher of an installed Handshake Workbench its permission, the way
# Wireshark's dumpcap is set up: a system group, the launcher restricted to root and that
# group (0750 root:handshake-capture), and CAP_NET_RAW + CAP_NET_ADMIN on the launcher alone.
# The Electron binary never gets capabilities (electron/electron#4583). See build/README.md.
#
# usage: setup-capture.sh APP_DIR      (as root; APP_DIR as seen on the target system)
#
# The deb's after-install runs it; AppImage users run it once on an extracted copy.
# Idempotent. With DESTDIR set (tests, image builders) it works on files below DESTDIR and
# on DESTDIR/etc/group instead of the running system's groups.
set -eu

capture_group=handshake-capture
root=${DESTDIR:-}

if [ "$#" -ne 1 ]; then
  echo "usage: $0 APP_DIR" >&2
  exit 2
fi
launcher="$root$1/resources/capture/handshake-capture"

log() {
  echo "handshake-workbench: $*"
}

# The numeric id of the capture group, or nothing.
group_id() {
  if [ -n "$root" ]; then
    [ -f "$root/etc/group" ] || return 0
    awk -F: -v name="$capture_group" '$1 == name { print $3 }' "$root/etc/group"
  else
    getent group "$capture_group" | cut -d: -f3
  fi
}

if [ ! -f "$launcher" ]; then
  log "no capture launcher at $launcher; live capture will need pkexec" >&2
  exit 1
fi

if [ -z "$(group_id)" ]; then
  if [ -n "$root" ]; then
    groupadd --system --prefix "$root" "$capture_group"
  else
    groupadd --system "$capture_group"
  fi
fi
gid=$(group_id)

# Only root and the capture group may even execute the launcher.
chown "0:$gid" "$launcher"
chmod 0750 "$launcher"

if command -v setcap >/dev/null 2>&1 && setcap cap_net_raw,cap_net_admin=eip "$launcher"; then
  log "capture enabled for members of '$capture_group'. Add a user with:"
  log "  sudo usermod -aG $capture_group USER   (then log out and in again)"
else
  # e.g. a filesystem without extended attributes (an AppImage mount), or no libcap2-bin.
  log "could not set capabilities on $launcher; live capture will need pkexec" >&2
  exit 1
fi
