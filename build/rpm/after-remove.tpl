#!/bin/sh
# The RPM's %postun, in place of electron-builder's default (which removes a /usr/bin link this package
# never made). On erase ($1 = 0, not an upgrade) systemd forgets the automatic-updates units.
if [ "${1:-0}" = 0 ] && command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
