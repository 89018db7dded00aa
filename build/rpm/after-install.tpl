#!/bin/sh
# The RPM's %post, in place of electron-builder's default: it must not link /usr/bin/vespera-updates to
# the Electron binary, because that path is the package's own launcher (build/bin/vespera-updates).
# rpm-ostree runs this in a sandbox when the package is layered, so it only does what is safe there.
# electron-builder fills in the product name when it packages this template.
# shellcheck disable=SC2016
sandbox='/opt/${sanitizedProductName}/chrome-sandbox'
# Chromium's setuid sandbox only where unprivileged user namespaces do not work.
if [ -L /proc/self/ns/user ] && unshare --user true 2>/dev/null; then
  chmod 0755 "$sandbox" || true
else
  chmod 4755 "$sandbox" || true
fi
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q /usr/share/applications || true
fi
exit 0
