#!/bin/sh
# Gives the capture launcher of an installed Handshake Workbench its permission, the way
# Wireshark's dumpcap is set up: a system group, the launcher restricted to root and that
# group (0750 root:handshake-capture), and CAP_NET_RAW + CAP_NET_ADMIN (+ CAP_SYS_NICE, see below)
# on the launcher alone.
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

# CAP_SYS_NICE lets the helper capture at real-time priority (SCHED_RR 1, set by chrt on its own
# pid with reset-on-fork), which keeps its arrival timestamps within a few ms on a busy machine.
# It is granted because it adds nothing worse than what the helper already holds: its other powers
# (renice, reschedule, pin or move the memory of any process) can only slow processes down, and
# CAP_NET_ADMIN can already take interfaces down or reroute every user's traffic; the launcher
# still starts only the fixed helper, with no debugger (see capture-launcher.c).
# Permitted only (=p, no effective bit): the launcher raises what it was given into the ambient
# set itself, and where a sandbox's bounding set lacks a capability exec still succeeds (with the
# effective bit the kernel refuses to start a program it cannot give every listed capability).
if command -v setcap >/dev/null 2>&1 && setcap cap_net_raw,cap_net_admin,cap_sys_nice=p "$launcher"; then
  log "capture enabled for members of '$capture_group'. Add a user with:"
  log "  sudo usermod -aG $capture_group USER   (then log out and in again)"
else
  # e.g. a filesystem without extended attributes (an AppImage mount), or no libcap2-bin.
  log "could not set capabilities on $launcher; live capture will need pkexec" >&2
  exit 1
fi
