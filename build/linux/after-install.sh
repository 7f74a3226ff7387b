#!/bin/sh
# Debian postinst for Handshake Workbench (electron-builder `deb.afterInstall`), run as root.
#
# Besides what electron-builder's own after-install does (command link, chrome-sandbox mode,
# desktop/MIME databases, AppArmor profile), it sets up capture permission with
# resources/capture/setup-capture.sh (build/linux/setup-capture.sh): a system group, and
# capabilities on one small dedicated launcher that only that group may run. The Electron
# binary itself never gets capabilities (electron/electron#4583). See build/README.md.
#
# Safe to run again (upgrades, `dpkg-reconfigure`). With DESTDIR set (tests, image builders)
# it only prepares files below DESTDIR and leaves the running system alone.
#
# electron-builder fills in the two macros below. Shell variables elsewhere are written
# without braces on purpose: its template step would treat them as macros too.
set -eu

# shellcheck disable=SC2016 # the quoted macros are expanded by electron-builder, not the shell
product_dir='/opt/${sanitizedProductName}'
# shellcheck disable=SC2016
executable='${executable}'

root=${DESTDIR:-}
app_dir="$root$product_dir"

# ---------------------------------------------------------------- usual Electron integration

if [ -z "$root" ] && command -v update-alternatives >/dev/null 2>&1; then
  # An old plain symlink would block the alternatives link.
  if [ -L "/usr/bin/$executable" ] && [ "$(readlink "/usr/bin/$executable")" != "/etc/alternatives/$executable" ]; then
    rm -f "/usr/bin/$executable"
  fi
  update-alternatives --install "/usr/bin/$executable" "$executable" "$product_dir/$executable" 100 ||
    ln -sf "$product_dir/$executable" "/usr/bin/$executable"
else
  mkdir -p "$root/usr/bin"
  ln -sf "$product_dir/$executable" "$root/usr/bin/$executable"
fi

# Chromium's setuid sandbox is needed only where unprivileged user namespaces do not work.
if [ -e "$app_dir/chrome-sandbox" ]; then
  if [ -z "$root" ] && ! { [ -L /proc/self/ns/user ] && unshare --user true 2>/dev/null; }; then
    chmod 4755 "$app_dir/chrome-sandbox"
  else
    chmod 0755 "$app_dir/chrome-sandbox"
  fi
fi

if [ -z "$root" ]; then
  if command -v update-mime-database >/dev/null 2>&1; then update-mime-database /usr/share/mime || true; fi
  if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database /usr/share/applications || true; fi
  # Ubuntu 24.04+ only lets profiled programs create user namespaces (Chromium's sandbox).
  if apparmor_status --enabled >/dev/null 2>&1 &&
    apparmor_parser --skip-kernel-load --debug "$app_dir/resources/apparmor-profile" >/dev/null 2>&1; then
    cp -f "$app_dir/resources/apparmor-profile" "/etc/apparmor.d/$executable"
    if ! { [ -x /usr/bin/ischroot ] && /usr/bin/ischroot; }; then
      apparmor_parser --replace --write-cache --skip-read-cache "/etc/apparmor.d/$executable" || true
    fi
  fi
fi

# ---------------------------------------------------------------- capture permission

# A failure here must not fail the package install: the app still opens files, and the
# helper tells the user how to get capture permission another way (pkexec).
if ! DESTDIR="$root" sh "$app_dir/resources/capture/setup-capture.sh" "$product_dir"; then
  echo "handshake-workbench: capture permission was not set up; see the capture notes in the documentation" >&2
fi
exit 0
