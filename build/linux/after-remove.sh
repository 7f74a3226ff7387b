#!/bin/sh
# Debian postrm for Handshake Workbench (electron-builder `deb.afterRemove`), run as root.
# Undoes after-install.sh. The capture group is removed only on purge, as Debian does for
# system groups: files elsewhere (saved captures) may still name it until then.
# DESTDIR works as in after-install.sh. Shell variables are written without braces on purpose.
set -eu

# shellcheck disable=SC2016 # the quoted macros are expanded by electron-builder, not the shell
product_dir='/opt/${sanitizedProductName}'
# shellcheck disable=SC2016
executable='${executable}'

capture_group=handshake-capture
root=${DESTDIR:-}
action=${1:-remove}

# dpkg runs postrm for upgrades too; the new version's files and settings stay.
case "$action" in
  upgrade | failed-upgrade | abort-install | abort-upgrade | disappear) exit 0 ;;
esac

if [ -z "$root" ] && command -v update-alternatives >/dev/null 2>&1; then
  update-alternatives --remove "$executable" "$product_dir/$executable" || true
else
  rm -f "$root/usr/bin/$executable"
fi

if [ -z "$root" ] && [ -f "/etc/apparmor.d/$executable" ]; then
  if apparmor_status --enabled >/dev/null 2>&1 && ! { [ -x /usr/bin/ischroot ] && /usr/bin/ischroot; }; then
    apparmor_parser --remove "/etc/apparmor.d/$executable" || true
  fi
  rm -f "/etc/apparmor.d/$executable"
fi

if [ "$action" = purge ]; then
  if [ -n "$root" ]; then
    if [ -f "$root/etc/group" ] && grep -q "^$capture_group:" "$root/etc/group"; then
      groupdel --prefix "$root" "$capture_group"
    fi
  elif getent group "$capture_group" >/dev/null; then
    groupdel "$capture_group" || true
  fi
fi
exit 0
